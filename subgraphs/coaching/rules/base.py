"""The shape every rule shares: a cited source, and a finding that names the measurements behind it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from subgraphs.coaching.domain import Person, Reading, Severity


@dataclass(frozen=True, slots=True)
class Source:
    key: str  # stable id of the guideline (ADA-SOC-6.3, KSH-2018...)
    citation: str  # what the app shows as the insight's source


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str  # also the message template key
    severity: Severity
    source: Source
    measurement_ids: tuple[str, ...]
    params: dict[str, str] = field(default_factory=dict)  # formatted numbers for the message templates
    kind: str = "THRESHOLD"  # THRESHOLD (one reading) | TREND (the history)
    # Readings above a "high" limit feed the same-time-of-day trend.
    high: bool = False
    # What the rule had to assume (message keys: "adult" without a birth date, "sex" without a sex at birth);
    # the message says so.
    notes: tuple[str, ...] = ()


PointRule = Callable[[Reading, Person], list[Finding]]
TrendRule = Callable[[Reading, Person, Sequence[Reading]], list[Finding]]


def fmt(value: float, digits: int = 0) -> str:
    return f"{value:.{digits}f}" if digits else str(round(value))


def finding(rule_id: str, severity: Severity, source: Source, reading: Reading, high: bool = False, /,
            **params: str) -> Finding:
    """`high` (positional): the reading is above a limit, so it counts for the same-time-of-day trend."""
    return Finding(rule_id, severity, source, (reading.id,), dict(params), high=high)
