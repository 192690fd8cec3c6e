"""Rule sets per region: which thresholds judge a reading, plus the trend rules over its history.

`evaluate(reading, person, history)` returns findings ordered by severity (most severe first); each names its
rule, its cited source (`sources.py`) and the measurements behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from subgraphs.coaching.domain import Person, Reading
from subgraphs.coaching.rules import glucose, markers, pressure, trends, vitals
from subgraphs.coaching.rules.base import Finding, PointRule, Source, TrendRule
from subgraphs.coaching.rules.ranges import MARKERS

__all__ = ["Finding", "Ruleset", "Source", "evaluate", "ruleset_for"]

_COMMON: dict[str, list[PointRule]] = {
    "BLOOD_GLUCOSE": [glucose.glucose],
    "HBA1C": [glucose.hba1c],
    "KETONE": [glucose.ketone],
    "HEART_RATE": [vitals.heart_rate],
    "OXYGEN_SATURATION": [vitals.oxygen_saturation],
    "BODY_TEMPERATURE": [vitals.temperature],
    "LIPID_PANEL": [markers.lipid_panel],
    # SKIN_TEMPERATURE has no rule: skin is not the core, so no fever or hypothermia from a wearable.
    **{t: [markers.reference_range] for t in MARKERS},
}


@dataclass(frozen=True)
class Ruleset:
    region: str  # "KR" or "INTL"
    point: dict[str, list[PointRule]]
    trend: list[TrendRule] = field(default_factory=list)

    def point_rules(self, type_: str) -> list[PointRule]:
        return self.point.get(type_, [])


def _ruleset(region: str, point: dict[str, list[PointRule]]) -> Ruleset:
    rs = Ruleset(region, point)
    rs.trend.extend([trends.rising_average, trends.repeated_highs(rs.point_rules)])
    return rs


KOREA = _ruleset("KR", {**_COMMON, "BLOOD_PRESSURE": [pressure.korea], "BODY_WEIGHT": [vitals.bmi_korea]})
INTERNATIONAL = _ruleset("INTL", {**_COMMON, "BLOOD_PRESSURE": [pressure.acc_aha],
                                  "BODY_WEIGHT": [vitals.bmi_who]})


def ruleset_for(region: str) -> Ruleset:
    return KOREA if region.upper() == "KR" else INTERNATIONAL


def evaluate(reading: Reading, person: Person, history: Sequence[Reading] = ()) -> list[Finding]:
    rs = ruleset_for(person.region)
    found = [f for rule in rs.point_rules(reading.type) for f in rule(reading, person)]
    found += [f for rule in rs.trend for f in rule(reading, person, history)]
    return sorted(found, key=lambda f: -f.severity.rank)
