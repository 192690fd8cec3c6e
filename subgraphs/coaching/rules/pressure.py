"""Blood pressure (mm[Hg]): the Korean Society of Hypertension for Korea, 2017 ACC/AHA elsewhere."""

from __future__ import annotations

from subgraphs.coaching.domain import Person, Reading, Severity
from subgraphs.coaching.rules import sources as S
from subgraphs.coaching.rules.base import Finding, Source, finding, fmt


def _values(r: Reading) -> tuple[float, float] | None:
    sys_, dia = r.number("SYSTOLIC"), r.number("DIASTOLIC")
    return (sys_, dia) if sys_ is not None and dia is not None else None


def _crisis(r: Reading, s: float, d: float, source: Source) -> list[Finding]:
    if s > 180 or d > 120:
        return [finding("bp.crisis", Severity.URGENT, source, r, True, sys=fmt(s), dia=fmt(d))]
    return []


def korea(r: Reading, _: Person) -> list[Finding]:
    values = _values(r)
    if values is None:
        return []
    s, d = values
    p = {"sys": fmt(s), "dia": fmt(d)}
    if crisis := _crisis(r, s, d, S.BP_CRISIS_KR):
        return crisis
    if s >= 160 or d >= 100:
        return [finding("bp.ksh.grade2", Severity.WARNING, S.KSH_2018, r, True, **p)]
    if s >= 140 or d >= 90:
        rule = "bp.ksh.isolated_systolic" if d < 90 else "bp.ksh.grade1"
        return [finding(rule, Severity.WARNING, S.KSH_2018, r, True, **p)]
    if s >= 130 or d >= 80:
        return [finding("bp.ksh.prehypertension", Severity.CAUTION, S.KSH_2018, r, True, **p)]
    if s >= 120:
        return [finding("bp.ksh.elevated", Severity.INFO, S.KSH_2018, r, **p)]
    return []


def acc_aha(r: Reading, _: Person) -> list[Finding]:
    values = _values(r)
    if values is None:
        return []
    s, d = values
    p = {"sys": fmt(s), "dia": fmt(d)}
    if crisis := _crisis(r, s, d, S.BP_CRISIS):
        return crisis
    if s >= 140 or d >= 90:
        return [finding("bp.acc_aha.stage2", Severity.WARNING, S.ACC_AHA_2017, r, True, **p)]
    if s >= 130 or d >= 80:
        return [finding("bp.acc_aha.stage1", Severity.CAUTION, S.ACC_AHA_2017, r, True, **p)]
    if s >= 120:
        return [finding("bp.acc_aha.elevated", Severity.INFO, S.ACC_AHA_2017, r, **p)]
    return []
