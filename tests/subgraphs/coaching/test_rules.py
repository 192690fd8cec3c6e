"""The rule sets on their own: thresholds at their edges, region choice, trends, messages in ko and en."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from libs.i18n import Catalogue
from subgraphs.coaching.domain import Person, Reading, Severity, parse_person, parse_reading
from subgraphs.coaching.rules import Finding, evaluate
from subgraphs.coaching.wording import render as render_in
from subgraphs.coaching.wording import template_key

CATALOGUE = Catalogue.seeded()


def render(f: Finding, measurement_type: str) -> dict[str, dict[str, str]]:
    return render_in(f, measurement_type, CATALOGUE, datetime(2026, 12, 7, 9, 0, tzinfo=UTC))


def has_texts(key: str) -> bool:
    return CATALOGUE.has(f"coaching.{key}.title") and CATALOGUE.has(f"coaching.{key}.message")

KOREA = Person(locale="ko-KR", region="KR", time_zone=ZoneInfo("Asia/Seoul"), height_cm=170)
US = Person(locale="en-US", region="US", time_zone=ZoneInfo("America/New_York"), height_cm=170)
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def glucose(value: float, context: str | None = None, *, at: datetime = T0, id: str = "m") -> Reading:
    return Reading(id=id, user_id="u", type="BLOOD_GLUCOSE", value=value, unit="mg/dL", taken_at=at,
                   context=context)


def bp(sys_: float, dia: float, *, at: datetime = T0, id: str = "m") -> Reading:
    return Reading(id=id, user_id="u", type="BLOOD_PRESSURE", value=None, unit=None,
                   components={"SYSTOLIC": sys_, "DIASTOLIC": dia}, taken_at=at)


def single(type_: str, value: float, context: str | None = None) -> Reading:
    return Reading(id="m", user_id="u", type=type_, value=value, unit=None, taken_at=T0, context=context)


def rules(found: list) -> list[tuple[str, Severity]]:  # type: ignore[type-arg]
    return [(f.rule_id, f.severity) for f in found]


@pytest.mark.parametrize(("value", "context", "expected"), [
    (53, "FASTING", [("glucose.hypo.level2", Severity.URGENT)]),
    (54, "FASTING", [("glucose.hypo.level1", Severity.WARNING)]),
    (69, None, [("glucose.hypo.level1", Severity.WARNING)]),
    (70, "FASTING", []),
    (99, "FASTING", []),
    (100, "FASTING", [("glucose.fasting.prediabetes_range", Severity.CAUTION)]),
    (125, "FASTING", [("glucose.fasting.prediabetes_range", Severity.CAUTION)]),
    (126, "FASTING", [("glucose.fasting.diabetes_range", Severity.WARNING)]),
    (130, "BEFORE_MEAL", []),
    (131, "BEFORE_MEAL", [("glucose.preprandial.above_target", Severity.CAUTION)]),
    (179, "AFTER_MEAL", []),
    (180, "AFTER_MEAL", [("glucose.postprandial.above_target", Severity.WARNING)]),
    (199, None, []),
    (200, "RANDOM", [("glucose.random.high", Severity.WARNING)]),
    (251, "AFTER_MEAL", [("glucose.level2_hyperglycaemia", Severity.WARNING)]),
])
def test_glucose_thresholds_follow_ada(value: float, context: str | None, expected: list) -> None:  # type: ignore[type-arg]
    assert rules(evaluate(glucose(value, context), KOREA)) == expected


def test_blood_pressure_rule_set_depends_on_the_region() -> None:
    # 135/85 is prehypertension in Korea (KSH) but stage 1 hypertension under ACC/AHA 2017.
    assert rules(evaluate(bp(135, 85), KOREA)) == [("bp.ksh.prehypertension", Severity.CAUTION)]
    assert rules(evaluate(bp(135, 85), US)) == [("bp.acc_aha.stage1", Severity.CAUTION)]
    assert rules(evaluate(bp(145, 85), KOREA)) == [("bp.ksh.isolated_systolic", Severity.WARNING)]
    assert rules(evaluate(bp(145, 92), KOREA)) == [("bp.ksh.grade1", Severity.WARNING)]
    assert rules(evaluate(bp(160, 92), KOREA)) == [("bp.ksh.grade2", Severity.WARNING)]
    assert rules(evaluate(bp(140, 70), US)) == [("bp.acc_aha.stage2", Severity.WARNING)]
    assert rules(evaluate(bp(125, 79), US)) == [("bp.acc_aha.elevated", Severity.INFO)]
    assert rules(evaluate(bp(119, 79), KOREA)) == []
    for person in (KOREA, US):
        assert rules(evaluate(bp(181, 100), person)) == [("bp.crisis", Severity.URGENT)]
        assert rules(evaluate(bp(150, 121), person)) == [("bp.crisis", Severity.URGENT)]


def test_bmi_uses_korean_cut_offs_in_korea() -> None:
    weight = single("BODY_WEIGHT", 68.0)  # 170 cm -> BMI 23.5
    assert rules(evaluate(weight, KOREA)) == [("bmi.ksso.preobese", Severity.CAUTION)]
    assert rules(evaluate(weight, US)) == []
    obese1 = single("BODY_WEIGHT", 75.0)  # BMI 26.0
    assert rules(evaluate(obese1, KOREA)) == [("bmi.ksso.obesity1", Severity.WARNING)]
    assert rules(evaluate(obese1, US)) == [("bmi.who.overweight", Severity.CAUTION)]
    no_height = Person(locale="ko-KR", region="KR", time_zone=ZoneInfo("Asia/Seoul"))
    assert evaluate(obese1, no_height) == []


@pytest.mark.parametrize(("type_", "value", "context", "expected"), [
    ("OXYGEN_SATURATION", 95, None, []),
    ("OXYGEN_SATURATION", 94, None, [("spo2.recheck", Severity.CAUTION)]),
    ("OXYGEN_SATURATION", 92, None, [("spo2.low", Severity.WARNING)]),
    ("OXYGEN_SATURATION", 89, None, [("spo2.urgent", Severity.URGENT)]),
    ("BODY_TEMPERATURE", 37.9, None, []),
    ("BODY_TEMPERATURE", 38.0, None, [("temperature.fever", Severity.CAUTION)]),
    ("BODY_TEMPERATURE", 34.9, None, [("temperature.hypothermia", Severity.URGENT)]),
    ("HEART_RATE", 101, "RESTING", [("hr.tachycardia", Severity.CAUTION)]),
    ("HEART_RATE", 150, "AFTER_EXERCISE", []),
    ("HEART_RATE", 55, None, [("hr.bradycardia", Severity.INFO)]),
    ("HEART_RATE", 38, None, [("hr.bradycardia.marked", Severity.CAUTION)]),
    ("HBA1C", 5.6, None, []),
    ("HBA1C", 5.7, None, [("hba1c.prediabetes_range", Severity.CAUTION)]),
    ("HBA1C", 6.5, None, [("hba1c.diabetes_range", Severity.WARNING)]),
    ("KETONE", 0.5, None, []),
    ("KETONE", 1.6, None, [("ketone.significant", Severity.WARNING)]),
    ("KETONE", 3.0, None, [("ketone.dka_range", Severity.URGENT)]),
    ("URIC_ACID", 7.3, None, [("marker.above_range", Severity.CAUTION)]),
    ("VITAMIN_D", 18, None, [("marker.below_range", Severity.CAUTION)]),
    ("TSH", 2.0, None, []),
])
def test_vitals_and_cartridge_markers(type_: str, value: float, context: str | None, expected: list) -> None:  # type: ignore[type-arg]
    assert rules(evaluate(single(type_, value, context), KOREA)) == expected


def test_lipid_panel_flags_each_component() -> None:
    panel = Reading(id="m", user_id="u", type="LIPID_PANEL", value=None, unit=None, taken_at=T0,
                    components={"TOTAL": 250, "HDL": 35, "LDL": 195, "TRIGLYCERIDES": 180})
    assert rules(evaluate(panel, KOREA)) == [("lipid.ldl.very_high", Severity.WARNING),
                                             ("lipid.total.high", Severity.CAUTION),
                                             ("lipid.hdl.low", Severity.CAUTION)]


def test_rising_seven_day_average_needs_enough_readings_on_both_sides() -> None:
    earlier = [glucose(100, at=T0 - timedelta(days=10, hours=i), id=f"e{i}") for i in range(3)]
    recent = [glucose(118, at=T0 - timedelta(days=2, hours=i), id=f"r{i}") for i in range(2)]
    now = glucose(121, at=T0, id="now")
    found = evaluate(now, KOREA, [*earlier, *recent, now])
    trend = [f for f in found if f.kind == "TREND"]
    assert [f.rule_id for f in trend] == ["trend.rising_average.blood_glucose"]
    assert set(trend[0].measurement_ids) == {"e0", "e1", "e2", "r0", "r1", "now"}
    assert trend[0].params == {"before": "100", "now": "119", "percent": "19"}
    assert not [f for f in evaluate(now, KOREA, [*earlier[:2], *recent, now]) if f.kind == "TREND"]


def test_repeated_highs_at_the_same_local_time() -> None:
    # 07:xx in Seoul (22:xx UTC the day before) on three days, all after-meal highs.
    at = [datetime(2026, 11, d, 22, 15, tzinfo=UTC) for d in (15, 17, 19)]
    readings = [glucose(200, "AFTER_MEAL", at=t, id=f"h{i}") for i, t in enumerate(at)]
    found = evaluate(readings[-1], KOREA, readings)
    trend = [f for f in found if f.rule_id == "trend.repeated_highs.blood_glucose"]
    assert len(trend) == 1 and trend[0].severity is Severity.WARNING
    assert trend[0].params["from"] == "06:00" and trend[0].params["to"] == "09:00"
    assert set(trend[0].measurement_ids) == {"h0", "h1", "h2"}
    # In New York the same instants fall at 17:15 local: same bucket too, but a normal reading never fires.
    assert not [f for f in evaluate(glucose(120, "AFTER_MEAL", at=at[-1], id="x"), KOREA,
                                    [*readings[:2]]) if f.kind == "TREND"]


def test_every_rule_has_texts_in_korean_and_english() -> None:
    # every key has ko and en: tests/libs/test_i18n.py
    f = evaluate(glucose(250, "FASTING"), KOREA)[0]
    texts = render(f, "BLOOD_GLUCOSE")
    assert "250" in texts["ko"]["message"] and "250" in texts["en"]["message"]
    assert texts["ko"]["title"] == "높은 공복 혈당"
    assert template_key("trend.rising_average.blood_glucose") == ("trend.rising_average", "blood_glucose")


def test_parsing_converts_units_and_reads_the_owner_settings() -> None:
    r = parse_reading({"measurementId": "m1", "userId": "u1", "type": "BLOOD_GLUCOSE", "value": 7.0,
                       "unit": "mmol/L", "takenAt": "2026-11-20T08:00:00+09:00", "context": "fasting"})
    assert r.value == pytest.approx(126.1, abs=0.1) and r.unit == "mg/dL" and r.context == "FASTING"
    assert r.taken_at == datetime(2026, 11, 19, 23, 0, tzinfo=UTC)
    panel = parse_reading({"measurementId": "m2", "userId": "u1", "type": "BLOOD_PRESSURE",
                           "components": [{"code": "SYSTOLIC", "value": 140, "unit": "mm[Hg]"},
                                          {"code": "DIASTOLIC", "value": 90, "unit": "mm[Hg]"}]})
    assert panel.components == {"SYSTOLIC": 140, "DIASTOLIC": 90}
    p = parse_person({}, default_locale="ko-KR", default_time_zone="Asia/Seoul")
    assert (p.region, p.language, p.time_zone.key) == ("KR", "ko", "Asia/Seoul")
    p = parse_person({"locale": "en-US", "timeZone": "Nowhere/Bogus"}, default_locale="ko-KR",
                     default_time_zone="Asia/Seoul")
    assert (p.region, p.language, p.time_zone.key) == ("US", "en", "Asia/Seoul")
