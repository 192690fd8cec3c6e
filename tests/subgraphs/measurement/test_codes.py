"""A reading carries the LOINC code of how it was measured, from the cartridge lot's method to the event; skin
temperature is its own type; readings stored before are recoded by the data migration and lose nothing."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient

from libs.config import Settings
from libs.events import CloudEvent
from libs.events.streams import MEASUREMENT_STREAM, stream_key
from libs.testing import running_app
from libs.testing.graphql import error_codes
from subgraphs.measurement import sun
from subgraphs.measurement.app import create_app
from subgraphs.measurement.data_migrations import CODES_PER_METHOD, migrate_codes
from subgraphs.measurement.integrity import record_digest
from subgraphs.measurement.repository import MeasurementRepository
from subgraphs.measurement.settings import MeasurementSettings
from tests.subgraphs.measurement.conftest import User, database
from tests.subgraphs.measurement.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[3]
KEY = "00112233445566778899aabbccddeeff"
CALCULATED, DIRECT, HS_CRP, CREATININE = "LIP-CALC-01", "LIP-DIRECT-01", "CRP-HS-01", "CRE-WB-01"
OLD_LIPID, OLD_CRP = "LIP-OLD-01", "CRP-OLD-01"  # lots stored before lots named a method
REGISTER_LOT = """mutation($i: RegisterCartridgeLotInput!) {
  registerCartridgeLot(input: $i) { lot type method } }"""
FIELDS = """id type loinc value unit takenAt recordedAt source context clientId deviceId cartridgeLot
  enteredValue enteredUnit components { code loinc value unit }"""


@pytest.fixture(scope="module")
async def url(msettings: Settings, events_proxy: TcpProxy) -> AsyncIterator[str]:
    """This module's app: the conftest's, with SUN keys for the lots below."""
    db = urlsplit(msettings.redis_url).path or "/0"
    lots = (CALCULATED, DIRECT, HS_CRP, CREATININE, OLD_LIPID, OLD_CRP)
    own = MeasurementSettings(
        cartridge_sun_keys=",".join(f"{lot}:{KEY}" for lot in lots),
        relay_interval_s=0.2,
        relay_grace_s=0.3,
        events_redis_url=f"redis://127.0.0.1:{events_proxy.port}{db}",
    )
    async with running_app(create_app(msettings, own)) as base:
        yield base + "/graphql"


@pytest.fixture(scope="module")
async def lots(msettings: Settings, url: str) -> None:
    admin = User(msettings, url, ("ADMIN",))
    expires = (datetime.now(UTC) + timedelta(days=180)).isoformat()
    for lot, type_, method in (
        (CALCULATED, "LIPID_PANEL", "CALCULATED_LDL"),
        (DIRECT, "LIPID_PANEL", "DIRECT_LDL"),
        (HS_CRP, "CRP", None),  # the type's default: high sensitivity
        (CREATININE, "CREATININE", "WHOLE_BLOOD"),
    ):
        r = await admin.gql(
            REGISTER_LOT, {"i": {"lot": lot, "type": type_, "expiresAt": expires, "method": method}}
        )
        assert "errors" not in r, r


async def _reader(u: User) -> str:
    r = await u.gql(
        "mutation($i: RegisterDeviceInput!) { registerDevice(input: $i) { id } }",
        {"i": {"serial": f"MPK-{secrets.token_hex(4)}"}},
    )
    return str(r["data"]["registerDevice"]["id"])


def _cartridge(lot: str) -> dict[str, str]:
    uid = "04" + secrets.token_hex(6).upper()
    return {"uid": uid, "lot": lot, "authMessage": sun.encode(bytes.fromhex(KEY), uid, 1)}


async def _record(u: User, **input_: Any) -> dict[str, Any]:
    r = await u.gql(
        f"mutation($i: RecordMeasurementInput!) {{ recordMeasurement(input: $i) {{ {FIELDS} }} }}",
        {"i": input_},
    )
    assert "errors" not in r, r
    return dict(r["data"]["recordMeasurement"])


async def _events(redis: Any, settings: Settings, measurement_id: str) -> list[CloudEvent]:
    entries = await redis.xrange(stream_key(settings, MEASUREMENT_STREAM))
    events = [CloudEvent.from_json(fields["event"]) for _, fields in entries]
    return [e for e in events if e.data.get("measurementId") == measurement_id]


PANEL = [
    {"code": "TOTAL", "value": 210},
    {"code": "HDL", "value": 50},
    {"code": "TRIGLYCERIDES", "value": 150},
    {"code": "LDL", "value": 130},
]


async def test_calculated_and_direct_ldl_carry_their_codes_end_to_end(
    lots, new_user, msettings, redis
) -> None:
    u = new_user()
    device = await _reader(u)
    recorded = {}
    for lot in (CALCULATED, DIRECT):
        recorded[lot] = await _record(
            u,
            type="LIPID_PANEL",
            unit="mg/dL",
            components=PANEL,
            source="CARTRIDGE",
            deviceId=device,
            cartridge=_cartridge(lot),
        )
    expected = {CALCULATED: ("24331-1", "13457-7"), DIRECT: ("57698-3", "18262-6")}
    for lot, (panel, ldl) in expected.items():
        m = recorded[lot]
        codes = {c["code"]: c["loinc"] for c in m["components"]}
        # Only LDL's code depends on the method; the measured components keep theirs.
        assert (m["loinc"], codes) == (
            panel,
            {"TOTAL": "2093-3", "HDL": "2085-9", "LDL": ldl, "TRIGLYCERIDES": "2571-8"},
        )
        # Stored so: the history answers the same codes ...
        page = await u.entities(
            "measurements(type: LIPID_PANEL) { edges { node { id loinc components { code loinc } } } }"
        )
        [node] = [
            e["node"]
            for e in page["data"]["_entities"][0]["measurements"]["edges"]
            if e["node"]["id"] == m["id"]
        ]
        assert node["loinc"] == panel and {c["code"]: c["loinc"] for c in node["components"]}["LDL"] == ldl
        # ... and so does the event other domains (coaching, exports) read.
        [event] = await _events(redis, msettings, m["id"])
        assert event.data["loinc"] == panel
        assert {c["code"]: c["loinc"] for c in event.data["components"]}["LDL"] == ldl


async def test_hs_crp_and_whole_blood_creatinine_cartridges(lots, new_user) -> None:
    u = new_user()
    device = await _reader(u)
    crp = await _record(
        u,
        type="CRP",
        value=1.2,
        unit="mg/L",
        source="CARTRIDGE",
        deviceId=device,
        cartridge=_cartridge(HS_CRP),
    )
    creatinine = await _record(
        u,
        type="CREATININE",
        value=0.8,
        unit="mg/dL",
        source="CARTRIDGE",
        deviceId=device,
        cartridge=_cartridge(CREATININE),
    )
    assert (crp["loinc"], creatinine["loinc"]) == ("30522-7", "38483-4")
    # Typed in from a lab report: the serum/plasma, method-neutral codes.
    typed = await _record(u, type="CREATININE", value=0.8, unit="mg/dL", source="MANUAL")
    assert typed["loinc"] == "2160-0"
    r = await u.gql('query { cartridgeLot(lot: "CRP-HS-01") { method } }')
    assert r["data"]["cartridgeLot"]["method"] == "HIGH_SENSITIVITY_CRP"


async def test_a_lot_method_must_fit_its_type(msettings, url) -> None:
    admin = User(msettings, url, ("ADMIN",))
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    for type_, method in (("CRP", "DIRECT_LDL"), ("HBA1C", "WHOLE_BLOOD")):
        r = await admin.gql(
            REGISTER_LOT,
            {"i": {"lot": "BAD-METHOD-1", "type": type_, "expiresAt": expires, "method": method}},
        )
        assert r["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "method"}
    missing = await User(msettings, url).gql('query { cartridgeLot(lot: "BAD-METHOD-1") { lot } }')
    assert error_codes(missing) == ["NOT_FOUND"]  # nothing stored


async def test_a_wearable_sends_skin_temperature_not_body_temperature(new_user, msettings, redis) -> None:
    u = new_user()
    refused = await u.gql(
        "mutation($i: RecordMeasurementInput!) { recordMeasurement(input: $i) { id } }",
        {"i": {"type": "BODY_TEMPERATURE", "value": 33.5, "unit": "Cel", "source": "WEARABLE"}},
    )
    assert refused["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "source"}
    assert "SKIN_TEMPERATURE" in refused["errors"][0]["message"]
    skin = await _record(u, type="SKIN_TEMPERATURE", value=33.5, unit="Cel", source="WEARABLE")
    assert (skin["type"], skin["loinc"], skin["value"]) == ("SKIN_TEMPERATURE", "39106-0", 33.5)
    [event] = await _events(redis, msettings, skin["id"])
    assert (event.data["type"], event.data["loinc"]) == ("SKIN_TEMPERATURE", "39106-0")
    # Fahrenheit from a wearable converts; 93 sent as Cel is a unit mix-up.
    f = await _record(u, type="SKIN_TEMPERATURE", value=92.3, unit="[degF]", source="WEARABLE")
    assert f["value"] == pytest.approx(33.5, abs=0.01)
    wrong = await u.gql(
        "mutation($i: RecordMeasurementInput!) { recordMeasurement(input: $i) { id } }",
        {"i": {"type": "SKIN_TEMPERATURE", "value": 93, "unit": "Cel", "source": "WEARABLE"}},
    )
    assert wrong["errors"][0]["extensions"]["field"] == "value"
    thermometer = await _record(u, type="BODY_TEMPERATURE", value=36.8, unit="Cel", source="MANUAL")
    assert thermometer["loinc"] == "8310-5"


# ---- readings stored before the migration ----------------------------------------------------------------


def _old_doc(
    user_id: str,
    type_: str,
    loinc: str,
    source: str,
    *,
    value: float | None = None,
    unit: str | None = None,
    components: list[dict[str, Any]] | None = None,
    lot: str | None = None,
    at: datetime,
) -> dict[str, Any]:
    """A document as written before issue 19: no lot method, generic codes, wearable body temperature."""
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "user_id": user_id,
        "client_id": f"old-{uuid.uuid4().hex[:12]}",
        "type": type_,
        "loinc": loinc,
        "source": source,
        "taken_at": at,
        "recorded_at": at + timedelta(seconds=3),
        "components": components or [],
        "context": "FASTING",
    }
    if value is not None:
        doc |= {"value": value, "unit": unit, "entered_value": value, "entered_unit": unit}
    if lot is not None:
        doc |= {
            "cartridge_lot": lot,
            "cartridge_uid": "04" + secrets.token_hex(6).upper(),
            "device_id": "dev-old",
        }
    return doc


def _old_readings(user_id: str) -> list[dict[str, Any]]:
    at = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    mgdl = "mg/dL"
    panel = [
        {"code": c, "loinc": loinc, "value": v, "unit": mgdl}
        for c, loinc, v in (
            ("TOTAL", "2093-3", 201.5),
            ("HDL", "2085-9", 48.25),
            ("LDL", "2089-1", 124.0),
            ("TRIGLYCERIDES", "2571-8", 146.0),
        )
    ]
    return [
        _old_doc(user_id, "LIPID_PANEL", "57698-3", "CARTRIDGE", components=panel, lot=OLD_LIPID, at=at),
        _old_doc(user_id, "LIPID_PANEL", "57698-3", "MANUAL", components=panel, at=at + timedelta(hours=1)),
        _old_doc(user_id, "CRP", "1988-5", "CARTRIDGE", value=2.4, unit="mg/L", lot=OLD_CRP, at=at),
        _old_doc(user_id, "CREATININE", "2160-0", "CARTRIDGE", value=0.91, unit=mgdl, lot=OLD_LIPID, at=at),
        _old_doc(user_id, "BODY_TEMPERATURE", "8310-5", "WEARABLE", value=33.4, unit="Cel", at=at),
        _old_doc(user_id, "BODY_TEMPERATURE", "8310-5", "MANUAL", value=36.6, unit="Cel", at=at),
        _old_doc(user_id, "BLOOD_GLUCOSE", "2339-0", "MANUAL", value=97.0, unit=mgdl, at=at),
    ]


async def _seed(settings: Settings, docs: list[dict[str, Any]]) -> None:
    client: AsyncMongoClient[Any] = AsyncMongoClient(settings.mongodb_url, tz_aware=True)
    try:
        db = client[database(settings)]
        for lot, type_ in ((OLD_LIPID, "LIPID_PANEL"), (OLD_CRP, "CRP")):
            await db["cartridge_lots"].update_one(
                {"lot": lot},
                {
                    "$setOnInsert": {
                        "type": type_,
                        "expires_at": datetime(2030, 1, 1, tzinfo=UTC),
                        "calibration": [],
                        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
                    }
                },
                upsert=True,
            )
        await db["measurements"].insert_many(docs)
    finally:
        await client.close()


async def _all_of(u: User) -> dict[str, dict[str, Any]]:
    out = {}
    for type_ in (
        "LIPID_PANEL",
        "CRP",
        "CREATININE",
        "BODY_TEMPERATURE",
        "SKIN_TEMPERATURE",
        "BLOOD_GLUCOSE",
    ):
        r = await u.entities(f"measurements(type: {type_}, first: 100) {{ edges {{ node {{ {FIELDS} }} }} }}")
        out |= {e["node"]["id"]: e["node"] for e in r["data"]["_entities"][0]["measurements"]["edges"]}
    return out


def _without_codes(m: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: v for k, v in m.items() if k not in ("loinc", "type")},
        "components": [{k: v for k, v in c.items() if k != "loinc"} for c in m["components"]],
    }


def _codes_of(m: dict[str, Any]) -> tuple[Any, ...]:
    return m["type"], m["loinc"], tuple(c["loinc"] for c in m["components"])


async def test_readings_stored_before_read_back_unchanged_apart_from_their_codes(
    new_user, msettings, url, redis
) -> None:
    u = new_user()
    await _seed(msettings, _old_readings(u.id))
    before = await _all_of(u)
    assert len(before) == 7

    assert await migrate_codes(MeasurementRepository()) >= 5
    after = await _all_of(u)
    assert set(after) == set(before)  # no reading lost, none added
    for id_, old in before.items():
        assert _without_codes(after[id_]) == _without_codes(old), id_
    codes = {
        (
            before[i]["type"],
            before[i]["source"],
            after[i]["type"],
            after[i]["loinc"],
            next((c["loinc"] for c in after[i]["components"] if c["code"] == "LDL"), None),
        )
        for i in after
    }
    assert codes == {
        ("LIPID_PANEL", "CARTRIDGE", "LIPID_PANEL", "24331-1", "13457-7"),  # lot without a method: calculated
        ("LIPID_PANEL", "MANUAL", "LIPID_PANEL", "24331-1", "2089-1"),  # a lab report's LDL: method unknown
        ("CRP", "CARTRIDGE", "CRP", "30522-7", None),
        ("CREATININE", "CARTRIDGE", "CREATININE", "38483-4", None),
        ("BODY_TEMPERATURE", "WEARABLE", "SKIN_TEMPERATURE", "39106-0", None),
        ("BODY_TEMPERATURE", "MANUAL", "BODY_TEMPERATURE", "8310-5", None),
        ("BLOOD_GLUCOSE", "MANUAL", "BLOOD_GLUCOSE", "2339-0", None),
    }
    r = await u.gql(f'query {{ cartridgeLot(lot: "{OLD_CRP}") {{ method }} }}')
    assert r["data"]["cartridgeLot"]["method"] == "HIGH_SENSITIVITY_CRP"

    # Each rewritten reading goes out again with its new content and digest (the data subgraph's chain).
    rewritten = [i for i in after if _codes_of(after[i]) != _codes_of(before[i])]
    assert len(rewritten) == 5
    stored = await MeasurementRepository().measurements.by_ids(rewritten)
    for id_ in rewritten:
        events: list[CloudEvent] = []
        for _ in range(50):
            if events := await _events(redis, msettings, id_):
                break
            await asyncio.sleep(0.1)
        [event] = events
        assert (event.data["type"], event.data["loinc"]) == (after[id_]["type"], after[id_]["loinc"])
        assert event.data["digest"] == record_digest(stored[id_])

    # Idempotent: a second run (another replica starting) changes nothing of this user's.
    await migrate_codes(MeasurementRepository())
    assert await _all_of(u) == after


def _manpasik_migrate(settings: Settings, suffix: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MANPASIK_ENV": "test",
        "MONGODB_URL": settings.mongodb_url or "",
        "DATABASE_URL": settings.database_url or "",
        "DB_SUFFIX": suffix,
    }
    return subprocess.run(
        [sys.executable, "-m", "manpasik", "migrate", "measurement"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_manpasik_migrate_applies_it_once(msettings: Settings) -> None:
    cli = msettings.model_copy(update={"db_suffix": msettings.db_suffix + "_cli"})
    user_id = uuid.uuid4().hex
    docs = _old_readings(user_id)
    await _seed(cli, docs)
    first = _manpasik_migrate(msettings, cli.db_suffix)
    assert first.returncode == 0, first.stderr
    assert f"{CODES_PER_METHOD}: applied, 5 readings changed" in first.stdout
    second = _manpasik_migrate(msettings, cli.db_suffix)
    assert f"{CODES_PER_METHOD}: already applied" in second.stdout, second.stdout
    client: AsyncMongoClient[Any] = AsyncMongoClient(cli.mongodb_url, tz_aware=True)
    try:
        db = client[database(cli)]
        stored = {d["_id"]: d async for d in db["measurements"].find({"user_id": user_id})}
        for old in docs:
            new = stored[old["_id"]]
            # The rewrite touches the codes and sets the outbox marker (to publish the new content), no more.
            codes = ("loinc", "type", "components", "pending_event_id")
            assert {k: v for k, v in new.items() if k not in codes} == {
                k: v for k, v in old.items() if k not in codes
            }
            assert ("pending_event_id" in new) == (_codes_of(new) != _codes_of(old))
            assert [(c["code"], c["value"], c["unit"]) for c in new["components"]] == [
                (c["code"], c["value"], c["unit"]) for c in old["components"]
            ]
        await client.drop_database(database(cli))
    finally:
        await client.close()
