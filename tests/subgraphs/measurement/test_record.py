"""recordMeasurement: normalised storage, validation naming the field, idempotency by clientId."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from libs.testing.graphql import error_codes, gql
from tests.subgraphs.measurement.conftest import RECORD


def _err(result: dict) -> dict:
    assert result.get("data") is None or result["data"].get("recordMeasurement") is None, result
    return result["errors"][0]


async def test_records_glucose_in_canonical_unit(new_user) -> None:
    u = new_user()
    taken = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    r = await u.record(
        type="BLOOD_GLUCOSE",
        value=5.5,
        unit="mmol/L",
        takenAt=taken.isoformat(),
        source="MANUAL",
        context="FASTING",
        clientId="c-1",
    )
    m = r["data"]["recordMeasurement"]
    # 5.5 mmol/L x 18.0156 (glucose 180.156 g/mol) = 99.0858 mg/dL
    assert (m["value"], m["unit"], m["enteredValue"], m["enteredUnit"]) == (99.0858, "mg/dL", 5.5, "mmol/L")
    assert (m["type"], m["source"], m["context"], m["clientId"], m["loinc"]) == (
        "BLOOD_GLUCOSE",
        "MANUAL",
        "FASTING",
        "c-1",
        "2339-0",
    )
    assert datetime.fromisoformat(m["takenAt"]) == taken
    assert m["components"] == []


@pytest.mark.parametrize(
    ("input_", "field"),
    [
        ({"type": "BLOOD_GLUCOSE", "value": 5.5, "unit": "mg/dL"}, "value"),  # mmol/L value sent as mg/dL
        ({"type": "BLOOD_GLUCOSE", "value": 99, "unit": "kg"}, "unit"),
        ({"type": "BLOOD_GLUCOSE", "unit": "mg/dL"}, "value"),
        ({"type": "BLOOD_GLUCOSE", "value": 99}, "unit"),
        ({"type": "HEART_RATE", "value": 400, "unit": "/min"}, "value"),
        ({"type": "OXYGEN_SATURATION", "value": 101, "unit": "%"}, "value"),
        ({"type": "BODY_TEMPERATURE", "value": 50, "unit": "Cel"}, "value"),
        ({"type": "HEART_RATE", "value": 70, "unit": "/min", "source": "CARTRIDGE"}, "source"),
        (
            {"type": "BLOOD_PRESSURE", "components": [{"code": "SYSTOLIC", "value": 120, "unit": "mm[Hg]"}]},
            "components",
        ),
        (
            {
                "type": "BLOOD_PRESSURE",
                "unit": "mm[Hg]",
                "components": [{"code": "SYSTOLIC", "value": 80}, {"code": "DIASTOLIC", "value": 120}],
            },
            "components",
        ),
        (
            {
                "type": "BLOOD_PRESSURE",
                "unit": "mm[Hg]",
                "components": [{"code": "SYSTOLIC", "value": 120}, {"code": "MEAN", "value": 90}],
            },
            "components[1].code",
        ),
        (
            {
                "type": "BLOOD_PRESSURE",
                "unit": "mm[Hg]",
                "components": [{"code": "SYSTOLIC", "value": 120}, {"code": "DIASTOLIC", "value": 900}],
            },
            "components[1].value",
        ),
        (
            {
                "type": "HEART_RATE",
                "value": 70,
                "unit": "/min",
                "takenAt": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
            },
            "takenAt",
        ),
        ({"type": "HEART_RATE", "value": 70, "unit": "/min", "clientId": "has space"}, "clientId"),
        ({"type": "HEART_RATE", "value": 70, "unit": "/min", "clientId": "trailing-newline\n"}, "clientId"),
    ],
)
async def test_implausible_input_is_bad_user_input_naming_the_field(new_user, input_, field) -> None:
    u = new_user()
    e = _err(await u.record(**input_))
    assert e["extensions"]["code"] == "BAD_USER_INPUT", e
    assert e["extensions"]["field"] == field, e


async def test_unknown_type_is_rejected_by_the_schema(new_user) -> None:
    u = new_user()
    r = await u.record(type="BLOOD_ALCOHOL", value=0.1, unit="%")
    assert error_codes(r) == ["BAD_USER_INPUT"]


async def test_blood_pressure_panel_in_kpa(new_user) -> None:
    u = new_user()
    r = await u.record(
        type="BLOOD_PRESSURE",
        unit="kPa",
        source="WEARABLE",
        context="RESTING",
        components=[{"code": "DIASTOLIC", "value": 10.9}, {"code": "SYSTOLIC", "value": 17.1}],
    )
    m = r["data"]["recordMeasurement"]
    assert m["value"] is None and m["loinc"] == "85354-9"
    # Catalogue order, mm[Hg]: 17.1 kPa x 7.50062 = 128.2606, 10.9 x 7.50062 = 81.7568
    assert m["components"] == [
        {"code": "SYSTOLIC", "loinc": "8480-6", "value": 128.2606, "unit": "mm[Hg]"},
        {"code": "DIASTOLIC", "loinc": "8462-4", "value": 81.7568, "unit": "mm[Hg]"},
    ]


async def test_lipid_panel_with_mixed_units(new_user) -> None:
    u = new_user()
    r = await u.record(
        type="LIPID_PANEL",
        unit="mg/dL",
        components=[
            {"code": "TOTAL", "value": 5.0, "unit": "mmol/L"},
            {"code": "HDL", "value": 50},
            {"code": "TRIGLYCERIDES", "value": 1.7, "unit": "mmol/L"},
        ],
    )
    comps = {c["code"]: (c["value"], c["unit"]) for c in r["data"]["recordMeasurement"]["components"]}
    assert comps == {"TOTAL": (193.35, "mg/dL"), "HDL": (50.0, "mg/dL"), "TRIGLYCERIDES": (150.569, "mg/dL")}


async def test_same_client_id_twice_stores_one(new_user) -> None:
    u = new_user()
    first = (await u.record(type="HEART_RATE", value=61, unit="/min", clientId="hr-1"))["data"][
        "recordMeasurement"
    ]
    again = (await u.record(type="HEART_RATE", value=99, unit="bpm", clientId="hr-1"))["data"][
        "recordMeasurement"
    ]
    assert again == first
    page = await u.entities("measurements(type: HEART_RATE, first: 10) { edges { node { id value } } }")
    assert [e["node"] for e in page["data"]["_entities"][0]["measurements"]["edges"]] == [
        {"id": first["id"], "value": 61.0}
    ]
    # The key is per user: another user's "hr-1" is another measurement.
    other = new_user()
    theirs = await other.record(type="HEART_RATE", value=70, unit="/min", clientId="hr-1")
    assert theirs["data"]["recordMeasurement"]["id"] != first["id"]


async def test_without_token_unauthenticated(url) -> None:
    r = await gql(url, RECORD, {"input": {"type": "HEART_RATE", "value": 60, "unit": "/min"}})
    assert error_codes(r) == ["UNAUTHENTICATED"]


async def test_batch_is_all_or_nothing_and_idempotent(new_user) -> None:
    u = new_user()
    q = "mutation($i: [RecordMeasurementInput!]!) { recordMeasurements(inputs: $i) { id clientId value } }"
    good = [
        {
            "type": "BODY_WEIGHT",
            "value": 70 + i,
            "unit": "kg",
            "clientId": f"w-{i}",
            "takenAt": (datetime.now(UTC) - timedelta(days=i)).isoformat(),
        }
        for i in range(3)
    ]
    bad = [*good, {"type": "BODY_WEIGHT", "value": 7000, "unit": "kg", "clientId": "w-bad"}]
    r = await u.gql(q, {"i": bad})
    assert r["errors"][0]["extensions"]["field"] == "inputs[3].value"
    history = "measurements(type: BODY_WEIGHT, first: 50) { edges { node { clientId } } }"
    assert (await u.entities(history))["data"]["_entities"][0]["measurements"]["edges"] == []

    first = (await u.gql(q, {"i": good}))["data"]["recordMeasurements"]
    assert [m["clientId"] for m in first] == ["w-0", "w-1", "w-2"]
    # Resent with one more and a duplicate inside the batch: the three come back as stored, one is added.
    extra = {"type": "BODY_WEIGHT", "value": 69.5, "unit": "[lb_av]", "clientId": "w-3"}
    second = (await u.gql(q, {"i": [*good, extra, good[0]]}))["data"]["recordMeasurements"]
    assert [m["id"] for m in second[:3]] == [m["id"] for m in first]
    assert second[4]["id"] == first[0]["id"]
    assert second[3]["value"] == pytest.approx(31.5246, abs=1e-4)  # 69.5 lb x 0.45359237
    edges = (await u.entities(history))["data"]["_entities"][0]["measurements"]["edges"]
    assert sorted(e["node"]["clientId"] for e in edges) == ["w-0", "w-1", "w-2", "w-3"]


async def test_client_id_is_generated_when_absent(new_user) -> None:
    u = new_user()
    a = (await u.record(type="HEART_RATE", value=60, unit="/min"))["data"]["recordMeasurement"]
    b = (await u.record(type="HEART_RATE", value=60, unit="/min"))["data"]["recordMeasurement"]
    assert a["id"] != b["id"] and a["clientId"] != b["clientId"]
    assert uuid.UUID(a["clientId"].removeprefix("srv-"))


async def test_concurrent_identical_batches_store_once(new_user) -> None:
    import asyncio

    u = new_user()
    q = "mutation($i: [RecordMeasurementInput!]!) { recordMeasurements(inputs: $i) { id clientId } }"
    batch = [
        {"type": "HEART_RATE", "value": 60 + i % 50, "unit": "/min", "clientId": f"r-{i}"} for i in range(100)
    ]
    results = await asyncio.gather(*(u.gql(q, {"i": batch}) for _ in range(5)))
    assert all(r["data"]["recordMeasurements"] == results[0]["data"]["recordMeasurements"] for r in results)
    page = await u.entities("measurements(type: HEART_RATE, first: 100) { edges { node { id } } }")
    assert len(page["data"]["_entities"][0]["measurements"]["edges"]) == 100
