"""Glucose, HbA1c and ketones (mg/dL, %, mmol/L)."""

from __future__ import annotations

from subgraphs.coaching.domain import Person, Reading, Severity
from subgraphs.coaching.rules import sources as S
from subgraphs.coaching.rules.base import Finding, Source, finding, fmt

FASTING = {"FASTING"}
BEFORE_MEAL = {"BEFORE_MEAL"}
AFTER_MEAL = {"AFTER_MEAL"}


def glucose(r: Reading, _: Person) -> list[Finding]:
    v = r.value
    if v is None:
        return []
    p = {"value": fmt(v), "mmol": fmt(v / 18.0156, 1)}

    def high(rule: str, severity: Severity, source: Source) -> list[Finding]:
        return [finding(rule, severity, source, r, True, **p)]

    if v < 54:
        return [finding("glucose.hypo.level2", Severity.URGENT, S.ADA_HYPO, r, **p)]
    if v < 70:
        return [finding("glucose.hypo.level1", Severity.WARNING, S.ADA_HYPO, r, **p)]
    if r.context in FASTING:
        if v >= 126:
            return high("glucose.fasting.diabetes_range", Severity.WARNING, S.ADA_DIAGNOSIS)
        if v >= 100:
            return high("glucose.fasting.prediabetes_range", Severity.CAUTION, S.ADA_DIAGNOSIS)
        return []
    if v > 250:
        return high("glucose.level2_hyperglycaemia", Severity.WARNING, S.TIR_CONSENSUS)
    if r.context in BEFORE_MEAL and v > 130:
        return high("glucose.preprandial.above_target", Severity.CAUTION, S.ADA_GOALS)
    if r.context in AFTER_MEAL and v >= 180:
        return high("glucose.postprandial.above_target", Severity.WARNING, S.ADA_GOALS)
    if r.context not in FASTING | BEFORE_MEAL | AFTER_MEAL and v >= 200:
        return high("glucose.random.high", Severity.WARNING, S.ADA_DIAGNOSIS)
    return []


def hba1c(r: Reading, _: Person) -> list[Finding]:
    v = r.value
    if v is None:
        return []
    if v >= 6.5:
        return [finding("hba1c.diabetes_range", Severity.WARNING, S.ADA_DIAGNOSIS, r, True,
                        value=fmt(v, 1))]
    if v >= 5.7:
        return [finding("hba1c.prediabetes_range", Severity.CAUTION, S.ADA_DIAGNOSIS, r, True,
                        value=fmt(v, 1))]
    return []


def ketone(r: Reading, _: Person) -> list[Finding]:
    v = r.value
    if v is None:
        return []
    if v >= 3.0:
        return [finding("ketone.dka_range", Severity.URGENT, S.DKA_2024, r, True, value=fmt(v, 1))]
    if v > 1.5:
        return [finding("ketone.significant", Severity.WARNING, S.KETONE_LAB, r, True, value=fmt(v, 1))]
    if v >= 0.6:  # the raised band starts at 0.6 itself
        return [finding("ketone.raised", Severity.CAUTION, S.KETONE_LAB, r, True, value=fmt(v, 1))]
    return []
