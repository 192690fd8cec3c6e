"""Trends over the owner's history of one type: a rising 7-day average, repeated highs at one time of day."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from subgraphs.coaching.domain import Person, Reading, Severity
from subgraphs.coaching.rules import sources as S
from subgraphs.coaching.rules.base import Finding, PointRule, fmt

WEEK = timedelta(days=7)
MIN_READINGS = 3  # per window: one reading is never a trend
# type -> (the number that trends, relative rise that counts)
TRACKED: dict[str, tuple[str | None, float]] = {
    "BLOOD_GLUCOSE": (None, 0.10),
    "BLOOD_PRESSURE": ("SYSTOLIC", 0.05),
    "BODY_WEIGHT": (None, 0.02),
}
BUCKET_HOURS = 3
REPEATS = 3
MAX_IDS = 50


def rising_average(r: Reading, _: Person, history: Sequence[Reading]) -> list[Finding]:
    tracked = TRACKED.get(r.type)
    if tracked is None:
        return []
    code, rise = tracked
    recent = [h for h in history if r.taken_at - WEEK < h.taken_at <= r.taken_at
              and h.number(code) is not None]
    earlier = [h for h in history if r.taken_at - 2 * WEEK < h.taken_at <= r.taken_at - WEEK
               and h.number(code) is not None]
    if len(recent) < MIN_READINGS or len(earlier) < MIN_READINGS:
        return []
    now = sum(h.number(code) or 0.0 for h in recent) / len(recent)
    before = sum(h.number(code) or 0.0 for h in earlier) / len(earlier)
    if before <= 0 or (now - before) / before < rise:
        return []
    ids = tuple(h.id for h in sorted(recent + earlier, key=lambda h: h.taken_at, reverse=True)[:MAX_IDS])
    digits = 1 if r.type == "BODY_WEIGHT" else 0
    return [Finding(f"trend.rising_average.{r.type.lower()}", Severity.CAUTION, S.COACH_TREND, ids,
                    {"before": fmt(before, digits), "now": fmt(now, digits),
                     "percent": fmt(100 * (now - before) / before)}, kind="TREND")]


def repeated_highs(point_rules: Callable[[str], Sequence[PointRule]]) -> Callable[..., list[Finding]]:
    """Three or more high readings in 14 days inside the same 3-hour window of the owner's local day."""

    def rule(r: Reading, person: Person, history: Sequence[Reading]) -> list[Finding]:
        rules = point_rules(r.type)

        def is_high(h: Reading) -> bool:
            return any(f.high for rule in rules for f in rule(h, person))

        if not rules or not is_high(r):
            return []
        bucket = r.taken_at.astimezone(person.time_zone).hour // BUCKET_HOURS
        highs = [h for h in history if r.taken_at - 2 * WEEK < h.taken_at <= r.taken_at
                 and h.taken_at.astimezone(person.time_zone).hour // BUCKET_HOURS == bucket and is_high(h)]
        if r.id not in {h.id for h in highs}:
            highs.append(r)
        if len(highs) < REPEATS:
            return []
        ids = tuple(h.id for h in sorted(highs, key=lambda h: h.taken_at, reverse=True)[:MAX_IDS])
        start = bucket * BUCKET_HOURS
        return [Finding(f"trend.repeated_highs.{r.type.lower()}", Severity.WARNING, S.COACH_TREND, ids,
                        {"count": str(len(highs)), "from": f"{start:02d}:00",
                         "to": f"{start + BUCKET_HOURS:02d}:00"}, kind="TREND", high=True)]

    return rule
