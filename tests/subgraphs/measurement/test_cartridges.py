"""Readers per user, the cartridge lot registry, and server-side cartridge authenticity and single use."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from libs.testing.graphql import error_codes
from subgraphs.measurement import sun
from tests.subgraphs.measurement.conftest import ANCIENT_LOT, LOT, LOT_KEY, OLD_LOT, OLD_LOT_KEY, database

REGISTER_LOT = """mutation($i: RegisterCartridgeLotInput!) {
  registerCartridgeLot(input: $i) { lot type expiresAt calibration } }"""
REGISTER_DEVICE = "mutation($i: RegisterDeviceInput!) { registerDevice(input: $i) { id serial model name } }"
HBA1C_LOT = "A1C-TEST-01"


@pytest.fixture(scope="module")
async def lots(msettings, url) -> None:
    from tests.subgraphs.measurement.conftest import User

    admin = User(msettings, url, ("ADMIN",))
    now = datetime.now(UTC)
    for lot, type_, expires in (
        (LOT, "BLOOD_GLUCOSE", now + timedelta(days=180)),
        (OLD_LOT, "BLOOD_GLUCOSE", now - timedelta(days=1)),
        (ANCIENT_LOT, "BLOOD_GLUCOSE", now - timedelta(days=40)),
        (HBA1C_LOT, "HBA1C", now + timedelta(days=180)),
    ):
        r = await admin.gql(
            REGISTER_LOT,
            {
                "i": {
                    "lot": lot,
                    "type": type_,
                    "expiresAt": expires.isoformat(),
                    "calibration": [1.02, -0.8, 0.0004],
                }
            },
        )
        assert "errors" not in r, r


async def _reader(u) -> str:
    r = await u.gql(REGISTER_DEVICE, {"i": {"serial": f"MPK-{secrets.token_hex(4)}", "model": "MPK1"}})
    return r["data"]["registerDevice"]["id"]


def _uid() -> str:
    return "04" + secrets.token_hex(6).upper()


def _reading(
    device: str,
    uid: str,
    counter: int,
    *,
    lot: str = LOT,
    key: str = LOT_KEY,
    value: float = 104,
    client_id: str | None = None,
    type_: str = "BLOOD_GLUCOSE",
    unit: str = "mg/dL",
) -> dict:
    return {
        "type": type_,
        "value": value,
        "unit": unit,
        "source": "CARTRIDGE",
        "deviceId": device,
        "clientId": client_id or secrets.token_hex(8),
        "context": "FASTING",
        "cartridge": {"uid": uid, "lot": lot, "authMessage": sun.encode(bytes.fromhex(key), uid, counter)},
    }


def _rejection(r: dict) -> tuple[str, str | None, str | None]:
    e = r["errors"][0]["extensions"]
    return e["code"], e.get("reason"), e.get("field")


async def test_app_fetches_a_lot(lots, new_user) -> None:
    u = new_user()
    r = await u.gql(
        "query($l: String!) { cartridgeLot(lot: $l) { lot type calibration expiresAt } }", {"l": LOT}
    )
    assert r["data"]["cartridgeLot"]["type"] == "BLOOD_GLUCOSE"
    assert r["data"]["cartridgeLot"]["calibration"] == [1.02, -0.8, 0.0004]
    missing = await u.gql('query { cartridgeLot(lot: "NOPE-1") { lot } }')
    assert error_codes(missing) == ["NOT_FOUND"]


async def test_only_admins_register_lots(new_user) -> None:
    r = await new_user().gql(
        REGISTER_LOT, {"i": {"lot": "X-1", "type": "HBA1C", "expiresAt": datetime.now(UTC).isoformat()}}
    )
    assert error_codes(r) == ["FORBIDDEN"]


async def test_genuine_cartridge_once_then_refused(lots, new_user) -> None:
    u = new_user()
    device, uid = await _reader(u), _uid()
    first = await u.record(**_reading(device, uid, 5, client_id="cart-1"))
    m = first["data"]["recordMeasurement"]
    assert (m["source"], m["loinc"], m["cartridgeLot"], m["deviceId"]) == (
        "CARTRIDGE",
        "41653-7",
        LOT,
        device,
    )

    # The app retrying the same upload gets the stored measurement back.
    again = await u.record(**_reading(device, uid, 5, client_id="cart-1"))
    assert again["data"]["recordMeasurement"]["id"] == m["id"]
    # A second reading of the same cartridge (the tag's counter moved on) is refused.
    assert _rejection(await u.record(**_reading(device, uid, 6))) == (
        "BAD_USER_INPUT",
        "ALREADY_USED",
        "cartridge.uid",
    )
    # The first reading's message captured and replayed under a new clientId.
    assert _rejection(await u.record(**_reading(device, uid, 5))) == (
        "BAD_USER_INPUT",
        "REPLAYED",
        "cartridge.authMessage",
    )
    # Another user with the same cartridge (e.g. a shared photo of the NFC URL) is refused too.
    other = new_user()
    assert _rejection(await other.record(**_reading(await _reader(other), uid, 7)))[1] == "ALREADY_USED"


async def test_forged_expired_wrong_type_and_mismatch(lots, new_user) -> None:
    u = new_user()
    device = await _reader(u)
    forged = _reading(device, _uid(), 1, key="11" * 16)
    assert _rejection(await u.record(**forged)) == ("BAD_USER_INPUT", "FORGED", "cartridge.authMessage")

    expired = _reading(device, _uid(), 1, lot=OLD_LOT, key=OLD_LOT_KEY)
    assert _rejection(await u.record(**expired)) == ("BAD_USER_INPUT", "LOT_EXPIRED", "cartridge.lot")

    wrong_type = _reading(device, _uid(), 1, lot=HBA1C_LOT, type_="BLOOD_GLUCOSE")
    assert _rejection(await u.record(**wrong_type))[1] == "WRONG_TYPE"

    mismatch = _reading(device, _uid(), 1)
    mismatch["cartridge"]["uid"] = _uid()
    assert _rejection(await u.record(**mismatch)) == ("BAD_USER_INPUT", "UID_MISMATCH", "cartridge.uid")

    unknown = _reading(device, _uid(), 1, lot="NO-SUCH-LOT")
    assert _rejection(await u.record(**unknown)) == ("NOT_FOUND", None, "cartridge.lot")

    no_key = _reading(device, _uid(), 1, lot=HBA1C_LOT, type_="HBA1C", value=5.6, unit="%")
    assert _rejection(await u.record(**no_key))[1] == "UNVERIFIABLE"  # HBA1C_LOT has no key in settings

    # None of the refused readings was stored.
    r = await u.entities("latestMeasurements { id }")
    assert r["data"]["_entities"][0]["latestMeasurements"] == []


async def test_concurrent_readings_of_one_cartridge_store_one(lots, new_user) -> None:
    u = new_user()
    device, uid = await _reader(u), _uid()
    results = await asyncio.gather(*(u.record(**_reading(device, uid, 10 + i)) for i in range(5)))
    stored = [r for r in results if r.get("data") and r["data"]["recordMeasurement"]]
    assert len(stored) == 1, results
    assert all(_rejection(r)[1] in ("ALREADY_USED", "REPLAYED") for r in results if r not in stored)


async def test_batch_with_one_cartridge_twice_stores_nothing(lots, new_user) -> None:
    u = new_user()
    device, uid = await _reader(u), _uid()
    q = "mutation($i: [RecordMeasurementInput!]!) { recordMeasurements(inputs: $i) { id } }"
    r = await u.gql(q, {"i": [_reading(device, uid, 1), _reading(device, uid, 2)]})
    assert _rejection(r) == ("BAD_USER_INPUT", "ALREADY_USED", "inputs[1].cartridge.uid")
    assert (await u.entities("latestMeasurements { id }"))["data"]["_entities"][0]["latestMeasurements"] == []


async def test_cartridge_reading_needs_your_own_reader(lots, new_user) -> None:
    owner, thief = new_user(), new_user()
    device = await _reader(owner)
    r = await thief.record(**_reading(device, _uid(), 1))
    assert error_codes(r) == ["FORBIDDEN"]
    q = "mutation($i: [RecordMeasurementInput!]!) { recordMeasurements(inputs: $i) { id } }"
    ok = {"type": "HEART_RATE", "value": 60, "unit": "/min"}
    batch = await thief.gql(q, {"i": [ok, ok | {"deviceId": device}]})
    assert batch["errors"][0]["extensions"] == {"code": "FORBIDDEN", "field": "inputs[1].deviceId"}
    no_device = _reading(device, _uid(), 1)
    del no_device["deviceId"]
    assert _rejection(await owner.record(**no_device)) == ("BAD_USER_INPUT", None, "deviceId")


async def test_devices_registered_per_user_by_serial(new_user) -> None:
    a, b = new_user(), new_user()
    serial = f"mpk-{secrets.token_hex(4)}"
    first = (await a.gql(REGISTER_DEVICE, {"i": {"serial": serial, "name": "kitchen"}}))["data"][
        "registerDevice"
    ]
    assert first["serial"] == serial.upper()
    again = (await a.gql(REGISTER_DEVICE, {"i": {"serial": serial.upper()}}))["data"]["registerDevice"]
    assert again["id"] == first["id"]
    taken = await b.gql(REGISTER_DEVICE, {"i": {"serial": serial}})
    assert taken["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "serial"}
    listed = await a.entities("devices { id serial name }")
    assert listed["data"]["_entities"][0]["devices"] == [
        {"id": first["id"], "serial": serial.upper(), "name": "kitchen"}
    ]


async def test_offline_reading_from_before_expiry_within_grace(lots, new_user) -> None:
    u = new_user()
    device = await _reader(u)
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    ok = _reading(device, _uid(), 1, lot=OLD_LOT, key=OLD_LOT_KEY) | {"takenAt": two_days_ago}
    assert "errors" not in await u.record(**ok)
    # Backdating a reading from a lot that expired 40 days ago is refused: past the 30-day upload grace.
    backdated = (datetime.now(UTC) - timedelta(days=41)).isoformat()
    old = _reading(device, _uid(), 1, lot=ANCIENT_LOT, key=OLD_LOT_KEY) | {"takenAt": backdated}
    assert _rejection(await u.record(**old))[1] == "LOT_EXPIRED"


async def test_retry_after_an_interrupted_store_keeps_the_cartridge(lots, new_user, msettings) -> None:
    """A crash between claiming the cartridge and storing the measurement must not burn the cartridge."""
    from bson import ObjectId
    from pymongo import AsyncMongoClient

    u = new_user()
    device, uid = await _reader(u), _uid()
    measurement_id = str(ObjectId())
    client: AsyncMongoClient = AsyncMongoClient(msettings.mongodb_url, tz_aware=True)
    try:  # the state such a crash leaves: a claim naming a measurement that was never inserted
        await client[database(msettings)]["cartridge_uses"].insert_one(
            {
                "uid": uid,
                "lot": LOT,
                "counter": 3,
                "user_id": u.id,
                "client_id": "interrupted",
                "measurement_id": measurement_id,
                "used_at": datetime.now(UTC),
            }
        )
    finally:
        await client.close()
    retry = await u.record(**_reading(device, uid, 3, client_id="interrupted"))
    assert retry["data"]["recordMeasurement"]["id"] == measurement_id
    assert _rejection(await u.record(**_reading(device, uid, 4)))[1] == "ALREADY_USED"
    thief = new_user()
    stolen = await thief.record(**_reading(await _reader(thief), uid, 3, client_id="interrupted"))
    assert _rejection(stolen)[1] == "REPLAYED"


async def test_demo_lots_do_not_exist_outside_dev(new_user) -> None:
    r = await new_user().gql('query { cartridgeLot(lot: "DEMO-GLU-001") { lot } }')
    assert error_codes(r) == ["NOT_FOUND"]


@pytest.mark.parametrize(
    ("lot", "type_", "calibration", "field"),
    [
        ("bad lot!", "HBA1C", [], "lot"),
        ("HR-01", "HEART_RATE", [], "type"),  # no cartridge measures heart rate
        ("A1C-02", "HBA1C", [0.0] * 17, "calibration"),
    ],
)
async def test_lot_registration_is_validated(msettings, url, lot, type_, calibration, field) -> None:
    from tests.subgraphs.measurement.conftest import User

    admin = User(msettings, url, ("ADMIN",))
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    r = await admin.gql(
        REGISTER_LOT, {"i": {"lot": lot, "type": type_, "expiresAt": expires, "calibration": calibration}}
    )
    assert r["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
