"""Pure rules of consultations: the status machine, the booking grid, doctors' weekly availability."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo


class Status(Enum):
    REQUESTED = "REQUESTED"
    CONFIRMED = "CONFIRMED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"
    NO_SHOW = "NO_SHOW"


# A doctor holds its time while a consultation is in one of these (an ended or canceled one frees it).
ACTIVE = frozenset({Status.REQUESTED, Status.CONFIRMED, Status.IN_PROGRESS})
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.REQUESTED: frozenset({Status.CONFIRMED, Status.CANCELED}),
    Status.CONFIRMED: frozenset({Status.IN_PROGRESS, Status.CANCELED, Status.NO_SHOW}),
    Status.IN_PROGRESS: frozenset({Status.COMPLETED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELED: frozenset(),
    Status.NO_SHOW: frozenset(),
}


def may_become(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


def sources_of(target: Status) -> frozenset[Status]:
    """The statuses from which `target` may be reached (the guard of a conditional update)."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


class Role(Enum):
    PATIENT = "PATIENT"
    DOCTOR = "DOCTOR"


def on_grid(at: datetime, slot_minutes: int) -> bool:
    return at.second == 0 and at.microsecond == 0 and (at.hour * 60 + at.minute) % slot_minutes == 0


def slots(start: datetime, end: datetime, slot_minutes: int) -> list[datetime]:
    """The grid slots a consultation from `start` (on the grid) to `end` occupies."""
    step = timedelta(minutes=slot_minutes)
    out, at = [], start
    while at < end:
        out.append(at)
        at += step
    return out


@dataclass(frozen=True, slots=True)
class Window:
    """Weekly availability: `weekday` (Monday 0) from `start` to `end`, minutes after local midnight."""

    weekday: int
    start: int
    end: int  # up to 1440 (24:00)

    def to_dict(self) -> dict[str, Any]:
        return {"weekday": self.weekday, "start": _clock(self.start), "end": _clock(self.end)}


AROUND_THE_CLOCK = tuple(Window(day, 0, 1440) for day in range(7))


class InvalidAvailability(ValueError):
    pass


def _minutes(value: str) -> int:
    if value == "24:00":
        return 1440
    try:
        t = time.fromisoformat(value)
    except ValueError:
        raise InvalidAvailability(f"{value!r} is not a time of day (HH:MM)") from None
    if t.second or t.microsecond or t.tzinfo:
        raise InvalidAvailability(f"{value!r} is not a time of day (HH:MM)")
    return t.hour * 60 + t.minute


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_windows(items: Iterable[Mapping[str, Any]]) -> list[Window]:
    out = []
    for item in items:
        weekday = item.get("weekday")
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise InvalidAvailability("weekday must be 0 (Monday) to 6 (Sunday)")
        start, end = _minutes(str(item.get("start"))), _minutes(str(item.get("end")))
        if start >= end:
            raise InvalidAvailability(f"{_clock(start)}-{_clock(end)} ends before it starts")
        out.append(Window(weekday, start, end))
    return sorted(out, key=lambda w: (w.weekday, w.start))


def _absolute(windows: Sequence[Window], tz: ZoneInfo,
              days: Iterable[date]) -> list[tuple[datetime, datetime]]:
    spans = []
    for day in days:
        midnight = datetime.combine(day, time(0), tzinfo=tz)
        for w in windows:
            if w.weekday == day.weekday():
                # Wall-clock times in the zone, then UTC: a window keeps its local hours across DST changes.
                start = datetime.combine(day, time(w.start // 60, w.start % 60), tzinfo=tz)
                end = (midnight + timedelta(days=1)).replace(tzinfo=tz) if w.end == 1440 else \
                    datetime.combine(day, time(w.end // 60, w.end % 60), tzinfo=tz)
                spans.append((start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))))
    return sorted(spans)


def available(windows: Sequence[Window], tz: ZoneInfo, start: datetime, end: datetime) -> bool:
    """True when [start, end) lies inside the doctor's weekly windows (adjacent windows join, so a night
    across midnight in a round-the-clock week is available)."""
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    days = [first - timedelta(days=1) + timedelta(days=i) for i in range((last - first).days + 3)]
    covered_until = start
    for span_start, span_end in _absolute(windows, tz, days):
        if span_start <= covered_until < span_end:
            covered_until = span_end
        if covered_until >= end:
            return True
    return False
