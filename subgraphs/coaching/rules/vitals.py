"""Heart rate, SpO2, body temperature and BMI (from weight, when the height is known)."""

from __future__ import annotations

from subgraphs.coaching.domain import Person, Reading, Severity
from subgraphs.coaching.rules import sources as S
from subgraphs.coaching.rules.base import Finding, finding, fmt


def heart_rate(r: Reading, _: Person) -> list[Finding]:
    v = r.value
    if v is None or r.context == "AFTER_EXERCISE":  # the thresholds are for a resting heart rate
        return []
    if v > 100:
        return [finding("hr.tachycardia", Severity.CAUTION, S.HEART_RATE, r, True, value=fmt(v))]
    if v < 40:
        return [finding("hr.bradycardia.marked", Severity.CAUTION, S.HEART_RATE, r, value=fmt(v))]
    if v < 60:
        return [finding("hr.bradycardia", Severity.INFO, S.HEART_RATE, r, value=fmt(v))]
    return []


def oxygen_saturation(r: Reading, _: Person) -> list[Finding]:
    v = r.value
    if v is None:
        return []
    if v < 90:
        return [finding("spo2.urgent", Severity.URGENT, S.BTS_2017, r, value=fmt(v))]
    if v <= 92:
        return [finding("spo2.low", Severity.WARNING, S.BTS_2017, r, value=fmt(v))]
    if v < 95:
        return [finding("spo2.recheck", Severity.CAUTION, S.BTS_2017, r, value=fmt(v))]
    return []


def temperature(r: Reading, _: Person) -> list[Finding]:
    v = r.value
    if v is None:
        return []
    if v >= 38.0:
        return [finding("temperature.fever", Severity.CAUTION, S.CDC_FEVER, r, True, value=fmt(v, 1))]
    if v < 35.0:
        return [finding("temperature.hypothermia", Severity.URGENT, S.HYPOTHERMIA, r, value=fmt(v, 1))]
    return []


def _bmi(r: Reading, person: Person) -> float | None:
    if r.value is None or person.height_cm is None:
        return None
    return r.value / (person.height_cm / 100) ** 2


def bmi_korea(r: Reading, person: Person) -> list[Finding]:
    bmi = _bmi(r, person)
    if bmi is None:
        return []
    p = {"bmi": fmt(bmi, 1)}
    if bmi < 18.5:
        return [finding("bmi.underweight", Severity.CAUTION, S.KSSO_2022, r, **p)]
    if bmi >= 30:
        return [finding("bmi.ksso.obesity2", Severity.WARNING, S.KSSO_2022, r, True, **p)]
    if bmi >= 25:
        return [finding("bmi.ksso.obesity1", Severity.WARNING, S.KSSO_2022, r, True, **p)]
    if bmi >= 23:
        return [finding("bmi.ksso.preobese", Severity.CAUTION, S.KSSO_2022, r, True, **p)]
    return []


def bmi_who(r: Reading, person: Person) -> list[Finding]:
    bmi = _bmi(r, person)
    if bmi is None:
        return []
    p = {"bmi": fmt(bmi, 1)}
    if bmi < 18.5:
        return [finding("bmi.underweight", Severity.CAUTION, S.WHO_BMI, r, **p)]
    if bmi >= 30:
        return [finding("bmi.who.obese", Severity.WARNING, S.WHO_BMI, r, True, **p)]
    if bmi >= 25:
        return [finding("bmi.who.overweight", Severity.CAUTION, S.WHO_BMI, r, True, **p)]
    return []
