"""Reference ranges for the person: sex, age, time of day, method and pregnancy; skin is not the core; every
range and threshold cites its source, and an insight says what it had to assume."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from libs.i18n import Catalogue
from libs.testing.graphql import error_codes, gql
from subgraphs.coaching.domain import Person, Reading, Severity, Sex, parse_reading
from subgraphs.coaching.rules import INTERNATIONAL, KOREA, Finding, evaluate
from subgraphs.coaching.rules.ranges import MARKERS
from subgraphs.coaching.wording import render as render_in
from subgraphs.coaching.wording import template_key
from tests.subgraphs.coaching.conftest import handle, measurement_event, new_user, token_for

SEOUL = ZoneInfo("Asia/Seoul")
CATALOGUE = Catalogue.seeded()


def render(f: Finding, measurement_type: str) -> dict[str, dict[str, str]]:
    return render_in(f, measurement_type, CATALOGUE, datetime(2026, 12, 7, 9, 0, tzinfo=UTC))


ADULT = date(1990, 5, 17)
WOMAN = Person(locale="en-US", region="KR", time_zone=SEOUL, sex=Sex.FEMALE, birth_date=ADULT)
MAN = replace(WOMAN, sex=Sex.MALE)
UNKNOWN = Person(locale="en-US", region="KR", time_zone=SEOUL)  # nothing consented
T0 = datetime(2026, 11, 20, 0, 30, tzinfo=UTC)  # 09:30 in Seoul


def reading(type_: str, value: float, *, at: datetime = T0, context: str | None = None,
            loinc: str | None = None, source: str | None = None) -> Reading:
    return Reading(id="m", user_id="u", type=type_, value=value, unit=None, taken_at=at, context=context,
                   loinc=loinc, source=source)


def found(r: Reading, person: Person) -> list[tuple[str, Severity]]:
    return [(f.rule_id, f.severity) for f in evaluate(r, person)]


def test_a_womans_testosterone_of_40_is_in_range_and_a_mans_is_below() -> None:
    t = reading("TESTOSTERONE", 40)
    assert found(t, WOMAN) == []
    assert found(t, MAN) == [("marker.below_range", Severity.CAUTION)]
    [f] = evaluate(t, MAN)
    assert (f.params["lower"], f.params["upper"], f.params["group"]) == ("264", "916", "men")
    assert "Travison" in f.source.citation and "Bhasin" in f.source.citation
    assert "adult men (264-916 ng/dL)" in render(f, "TESTOSTERONE")["en"]["message"]
    # 700 ng/dL: normal for a man, far above a woman's range.
    assert found(reading("TESTOSTERONE", 700), MAN) == []
    assert found(reading("TESTOSTERONE", 700), WOMAN) == [("marker.above_range", Severity.CAUTION)]


def test_without_a_sex_the_insight_asks_instead_of_applying_a_male_range() -> None:
    [f] = evaluate(reading("TESTOSTERONE", 40), UNKNOWN)
    assert (f.rule_id, f.severity) == ("marker.profile_needed", Severity.INFO)
    texts = render(f, "TESTOSTERONE")
    assert "sex at birth" in texts["en"]["message"] and "출생 시 성별" in texts["ko"]["message"]
    # Outside the range of every sex, it is judged, and the message says what was assumed.
    [low] = evaluate(reading("TESTOSTERONE", 2), UNKNOWN)
    assert (low.rule_id, low.params["group"]) == ("marker.below_range", "any_sex")
    assert low.notes == ("sex", "adult")
    message = render(low, "TESTOSTERONE")["en"]["message"]
    assert "both women and men (8-916 ng/dL)" in message
    assert "your profile names none" in message and "add your birth date" in message


@pytest.mark.parametrize(("type_", "value", "woman", "man"), [
    ("CREATININE", 1.2, "marker.above_range", None),  # 0.59-1.04 women, 0.74-1.35 men
    ("CREATININE", 0.65, None, "marker.below_range"),
    ("URIC_ACID", 6.5, "marker.above_range", None),  # 2.6-6.0 women, 3.5-7.2 men
    ("URIC_ACID", 3.0, None, "marker.below_range"),
    ("FERRITIN", 170, "marker.above_range", None),  # WHO 2020: >150 women, >200 men
    ("FERRITIN", 14, "marker.below_range", "marker.below_range"),  # <15 both
    ("ESTRADIOL", 60, "marker.no_range.cycle", "marker.above_range"),  # men 10-40; women by cycle phase
])
def test_sex_specific_ranges(type_: str, value: float, woman: str | None, man: str | None) -> None:
    for person, expected in ((WOMAN, woman), (MAN, man)):
        assert [rule for rule, _ in found(reading(type_, value), person)] == ([expected] if expected else [])


def test_age_decides_whether_an_adult_range_applies() -> None:
    teen = replace(MAN, birth_date=date(2010, 1, 1))
    assert found(reading("TESTOSTERONE", 40), teen) == [("marker.no_range.under_18", Severity.INFO)]
    # Turning 18 on the reading's local day (Seoul), not in UTC.
    eighteen = replace(MAN, birth_date=date(2008, 11, 20))
    assert found(reading("TESTOSTERONE", 40), eighteen) == [("marker.below_range", Severity.CAUTION)]
    no_birth_date = replace(MAN, birth_date=None)
    [f] = evaluate(reading("TESTOSTERONE", 40), no_birth_date)
    assert f.notes == ("adult",) and "생년월일" in render(f, "TESTOSTERONE")["ko"]["message"]
    [f] = evaluate(reading("TESTOSTERONE", 40), MAN)
    assert f.notes == ()


def test_cortisol_depends_on_the_local_time_of_day() -> None:
    morning = datetime(2026, 11, 19, 23, 0, tzinfo=UTC)  # 08:00 Seoul
    evening = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)  # 20:00 Seoul
    midday = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # 13:00 Seoul
    assert found(reading("CORTISOL", 15, at=morning), WOMAN) == []
    assert found(reading("CORTISOL", 5, at=morning), WOMAN) == [("marker.below_range", Severity.CAUTION)]
    # 15 µg/dL is a normal morning value but above the evening range; 3 in the evening is normal.
    assert found(reading("CORTISOL", 15, at=evening), WOMAN) == [("marker.above_range", Severity.CAUTION)]
    assert found(reading("CORTISOL", 3, at=evening), WOMAN) == []
    assert found(reading("CORTISOL", 15, at=midday), WOMAN) == [
        ("marker.no_range.time_of_day", Severity.INFO)]
    # The same instant is morning in Seoul but evening in New York.
    new_york = replace(WOMAN, time_zone=ZoneInfo("America/New_York"))
    assert found(reading("CORTISOL", 15, at=datetime(2026, 11, 20, 1, 0, tzinfo=UTC)), new_york) == [
        ("marker.above_range", Severity.CAUTION)]


def test_pregnancy_changes_the_range_or_says_it_does() -> None:
    pregnant = replace(WOMAN, pregnant=True)
    assert found(reading("CREATININE", 0.9), pregnant) == [("marker.no_range.pregnancy", Severity.INFO)]
    assert found(reading("TSH", 4.5), pregnant) == [("marker.above_range", Severity.CAUTION)]
    assert found(reading("TSH", 0.2), pregnant) == []  # the lower limit falls in pregnancy: not judged
    assert found(reading("TSH", 0.2), WOMAN) == [("marker.below_range", Severity.CAUTION)]
    # Markers pregnancy does not change keep their range.
    assert found(reading("VITAMIN_D", 18), pregnant) == [("marker.below_range", Severity.CAUTION)]


def test_crp_range_follows_the_method() -> None:
    hs, standard = "30522-7", "1988-5"
    assert found(reading("CRP", 5, loinc=hs), MAN) == [("marker.above_range", Severity.CAUTION)]
    assert found(reading("CRP", 5, loinc=standard), MAN) == []
    assert found(reading("CRP", 12, loinc=standard), MAN) == [("marker.above_range", Severity.CAUTION)]
    # An event without a code (before codes per method): the cartridge's default, high sensitivity.
    assert found(reading("CRP", 5), MAN) == [("marker.above_range", Severity.CAUTION)]


def test_insulin_is_judged_fasting_only() -> None:
    assert found(reading("INSULIN", 40, context="FASTING"), MAN) == [("marker.above_range", Severity.CAUTION)]
    assert found(reading("INSULIN", 40, context="AFTER_MEAL"), MAN) == [
        ("marker.no_range.context", Severity.INFO)]


def test_a_wearable_skin_temperature_of_33_5_raises_nothing_and_core_34_5_is_urgent() -> None:
    for person in (WOMAN, UNKNOWN, replace(UNKNOWN, region="US")):
        assert evaluate(reading("SKIN_TEMPERATURE", 33.5, source="WEARABLE"), person) == []
        assert evaluate(reading("SKIN_TEMPERATURE", 39.0, source="WEARABLE"), person) == []
        assert found(reading("BODY_TEMPERATURE", 34.5, source="MANUAL"), person) == [
            ("temperature.hypothermia", Severity.URGENT)]


def test_a_wearable_body_temperature_event_is_read_as_skin_temperature() -> None:
    data = {"measurementId": "m1", "userId": "u", "type": "BODY_TEMPERATURE", "value": 33.5, "unit": "Cel",
            "source": "WEARABLE", "loinc": "8310-5", "takenAt": "2026-11-20T00:30:00Z"}
    r = parse_reading(data)
    assert (r.type, r.source) == ("SKIN_TEMPERATURE", "WEARABLE")
    assert evaluate(r, UNKNOWN) == []
    core = parse_reading({**data, "source": "MANUAL", "value": 34.5})
    assert core.type == "BODY_TEMPERATURE"
    assert found(core, UNKNOWN) == [("temperature.hypothermia", Severity.URGENT)]
    assert parse_reading({**data, "type": "SKIN_TEMPERATURE", "value": 92.3, "unit": "[degF]"}).value == (
        pytest.approx(33.5, abs=0.01))


def test_ketone_band_edges() -> None:
    assert found(reading("KETONE", 0.59), UNKNOWN) == []
    assert found(reading("KETONE", 0.6), UNKNOWN) == [("ketone.raised", Severity.CAUTION)]


def test_thresholds_the_project_chose_say_so() -> None:
    crisis_kr = evaluate(Reading(id="m", user_id="u", type="BLOOD_PRESSURE", value=None, unit=None,
                                 components={"SYSTOLIC": 185, "DIASTOLIC": 100}), UNKNOWN)[0]
    assert "ACC/AHA" in crisis_kr.source.citation and "project's choice" in crisis_kr.source.citation
    spo2 = evaluate(reading("OXYGEN_SATURATION", 93), UNKNOWN)[0]
    assert spo2.source.citation.startswith("ManPaSik's own cut-points")


def _all_findings() -> list:  # type: ignore[type-arg]
    people = [WOMAN, MAN, UNKNOWN, replace(WOMAN, pregnant=True), replace(MAN, birth_date=date(2015, 1, 1))]
    out = []
    for type_ in MARKERS:
        for value in (0.01, 1, 5, 40, 500, 5000):
            for context in (None, "FASTING"):
                for at in (T0, datetime(2026, 11, 20, 4, 0, tzinfo=UTC)):
                    for person in people:
                        out += evaluate(reading(type_, value, at=at, context=context), person)
    return out


def test_every_marker_finding_has_a_template_and_a_tagged_citation() -> None:
    findings = _all_findings()
    assert {f.rule_id for f in findings} >= {
        "marker.above_range", "marker.below_range", "marker.profile_needed", "marker.no_range.under_18",
        "marker.no_range.pregnancy", "marker.no_range.time_of_day", "marker.no_range.context",
        "marker.no_range.cycle"}
    for f in findings:
        assert CATALOGUE.has(f"coaching.{template_key(f.rule_id)[0]}.message"), f.rule_id
        texts = render(f, "CORTISOL")
        assert all("{" not in t["message"] for t in texts.values()), texts
    for marker in MARKERS.values():
        for band in marker.bands:
            citation = band.source.citation
            assert any(tag in citation for tag in ("[P", "[S", "[M")) or "project" in citation, citation


def test_no_rule_set_judges_skin_temperature() -> None:
    for rs in (KOREA, INTERNATIONAL):
        assert "SKIN_TEMPERATURE" not in rs.point


# ---- through the consumer and the profile, on the real stores ----------------------------------------------

PROFILE = """mutation($input: CoachingProfileInput!) {
  updateCoachingProfile(input: $input) { sexAtBirth birthDate pregnant healthDetailsConsentedAt } }"""


async def test_events_use_the_consented_profile(coaching, coaching_url, settings) -> None:
    url = coaching_url + "/graphql"
    woman, man, other = new_user(), new_user(), new_user()

    async def update(user: str, **input_: object) -> dict:  # type: ignore[type-arg]
        return await gql(url, PROFILE, {"input": input_}, token=token_for(settings, user))

    # Health data without consent is refused, and nothing is stored.
    refused = await update(woman, sexAtBirth="FEMALE")
    assert refused["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "healthDetailsConsent"}
    testosterone = {"type_": "TESTOSTERONE", "value": 40.0, "unit": "ng/dL", "context": None}
    [asked] = await handle(coaching, measurement_event(woman, **testosterone))
    assert (asked.rule_id, asked.severity) == ("marker.profile_needed", "INFO")

    ok = await update(woman, healthDetailsConsent=True, sexAtBirth="FEMALE", birthDate="1990-05-17")
    profile = ok["data"]["updateCoachingProfile"]
    assert (profile["sexAtBirth"], profile["birthDate"]) == ("FEMALE", "1990-05-17")
    assert profile["pregnant"] is None
    assert profile["healthDetailsConsentedAt"] is not None
    await update(man, healthDetailsConsent=True, sexAtBirth="MALE", birthDate="1985-01-02")
    assert await handle(coaching, measurement_event(woman, **testosterone)) == []
    [low] = await handle(coaching, measurement_event(man, **testosterone))
    assert (low.rule_id, low.params["group"]) == ("marker.below_range", "men")
    assert "Bhasin" in low.rule_source

    for bad, field in (({"birthDate": "2999-01-01"}, "birthDate"), ({"pregnant": True}, "pregnant"),
                       ({"healthDetailsConsent": False, "sexAtBirth": "MALE"}, "healthDetailsConsent")):
        result = await update(man, **bad)
        assert result["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, bad
    # Someone else reads none of it, straight through _entities.
    read = ("query($reps: [_Any!]!) { _entities(representations: $reps) "
            "{ ... on User { coachingProfile { sexAtBirth birthDate pregnant } } } }")
    reps = {"reps": [{"__typename": "User", "id": woman}]}
    assert error_codes(await gql(url, read, reps, token=token_for(settings, other))) == ["FORBIDDEN"]

    # Withdrawing the consent erases the details, and the ranges go back to asking.
    gone = await update(woman, healthDetailsConsent=False)
    assert gone["data"]["updateCoachingProfile"] == {"sexAtBirth": None, "birthDate": None, "pregnant": None,
                                                     "healthDetailsConsentedAt": None}
    [asked] = await handle(coaching, measurement_event(woman, **testosterone))
    assert asked.rule_id == "marker.profile_needed"


async def test_wearable_skin_temperature_events_raise_nothing_and_core_raises_urgent(coaching) -> None:
    user = new_user()
    skin = measurement_event(user, "SKIN_TEMPERATURE", 33.5, "Cel", context=None, source="WEARABLE",
                             loinc="39106-0")
    legacy = measurement_event(user, "BODY_TEMPERATURE", 33.2, "Cel", context=None, source="WEARABLE",
                               loinc="8310-5")
    assert await handle(coaching, skin, legacy) == []
    [urgent] = await handle(coaching, measurement_event(user, "BODY_TEMPERATURE", 34.5, "Cel", context=None))
    assert (urgent.rule_id, urgent.severity) == ("temperature.hypothermia", "URGENT")
