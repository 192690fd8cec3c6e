"""`measurement.recorded` reaches the stream once, also when Redis was unreachable at record time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import orjson
from pymongo import AsyncMongoClient

from libs.events import CloudEvent
from libs.events.streams import MEASUREMENT_STREAM, stream_key
from subgraphs.measurement.integrity import record_digest
from subgraphs.measurement.repository import Measurements
from tests.subgraphs.measurement.conftest import database


async def _events_for(redis, settings, measurement_id: str) -> list[CloudEvent]:
    entries = await redis.xrange(stream_key(settings, MEASUREMENT_STREAM))
    events = [CloudEvent.from_json(fields["event"]) for _, fields in entries]
    return [e for e in events if e.data.get("measurementId") == measurement_id]


async def _pending_marker(settings, measurement_id: str) -> str | None:
    from bson import ObjectId

    client: AsyncMongoClient = AsyncMongoClient(settings.mongodb_url, tz_aware=True)
    try:
        doc = await client[database(settings)]["measurements"].find_one({"_id": ObjectId(measurement_id)})
    finally:
        await client.close()
    assert doc is not None
    return doc.get("pending_event_id")


async def test_recorded_event_is_published_once(new_user, msettings, redis) -> None:
    u = new_user()
    r = await u.record(type="BLOOD_GLUCOSE", value=250, unit="mg/dL", context="AFTER_MEAL", clientId="ev-1")
    m = r["data"]["recordMeasurement"]
    [event] = await _events_for(redis, msettings, m["id"])
    assert (event.type, event.source, event.subject) == (
        "measurement.recorded",
        "/subgraphs/measurement",
        u.id,
    )
    assert event.data | {"takenAt": None, "digest": None} == {
        "digest": None,
        "measurementId": m["id"],
        "userId": u.id,
        "type": "BLOOD_GLUCOSE",
        "loinc": "2339-0",
        "value": 250.0,
        "unit": "mg/dL",
        "components": [],
        "takenAt": None,
        "source": "MANUAL",
        "context": "AFTER_MEAL",
        "clientId": "ev-1",
    }
    # The digest the data subgraph chains is that of the document as stored (issue 12).
    stored = (await Measurements().by_ids([m["id"]]))[m["id"]]
    assert event.data["digest"] == record_digest(stored)
    assert await _pending_marker(msettings, m["id"]) is None
    # The relay (0.2 s rounds, 0.5 s grace in this module's app) must not send it again; nor may a retry.
    await u.record(type="BLOOD_GLUCOSE", value=250, unit="mg/dL", clientId="ev-1")
    await asyncio.sleep(1.2)
    assert len(await _events_for(redis, msettings, m["id"])) == 1


async def test_event_survives_redis_being_down_at_record_time(
    new_user, msettings, redis, events_proxy
) -> None:
    u = new_user()
    await events_proxy.stop()  # the bus is unreachable (auth's revocation checks still reach Redis)
    try:
        r = await u.record(type="HEART_RATE", value=130, unit="/min", context="RESTING")
        m = r["data"]["recordMeasurement"]  # stored although the bus is unreachable
        event_id = await _pending_marker(msettings, m["id"])
        assert event_id is not None
        await asyncio.sleep(0.8)  # relay rounds while Redis is still down: nothing is lost or cleared
        assert await _pending_marker(msettings, m["id"]) == event_id
        assert await _events_for(redis, msettings, m["id"]) == []
    finally:
        await events_proxy.start()
    for _ in range(100):
        if await _pending_marker(msettings, m["id"]) is None:
            break
        await asyncio.sleep(0.1)
    [event] = await _events_for(redis, msettings, m["id"])
    assert event.id == event_id and event.data["value"] == 130.0
    await asyncio.sleep(0.8)
    assert len(await _events_for(redis, msettings, m["id"])) == 1  # delivered once, marker cleared


async def test_ready_reports_stores(url) -> None:
    import httpx

    async with httpx.AsyncClient() as c:
        r = await c.get(url.removesuffix("/graphql") + "/ready")
    assert r.status_code == 200
    assert r.json()["checks"]["mongo"] == "ok" and r.json()["checks"]["redis"] == "ok"
    assert orjson.loads(r.content)["service"] == "measurement"


async def test_batch_events_also_survive_redis_being_down(new_user, msettings, redis, events_proxy) -> None:
    u = new_user()
    q = "mutation($i: [RecordMeasurementInput!]!) { recordMeasurements(inputs: $i) { id } }"
    now = datetime.now(UTC)
    readings = [
        {
            "type": "BODY_WEIGHT",
            "value": 70 + i,
            "unit": "kg",
            "takenAt": (now - timedelta(hours=i)).isoformat(),
        }
        for i in range(3)
    ]
    first = (await u.gql(q, {"i": readings[:1]}))["data"]["recordMeasurements"]
    await events_proxy.stop()
    try:
        rest = (await u.gql(q, {"i": readings[1:]}))["data"]["recordMeasurements"]
        assert all([await _pending_marker(msettings, m["id"]) for m in rest])
    finally:
        await events_proxy.start()
    ids = [m["id"] for m in first + rest]
    for _ in range(100):
        if not any([await _pending_marker(msettings, i) for i in ids]):
            break
        await asyncio.sleep(0.1)
    assert [len(await _events_for(redis, msettings, i)) for i in ids] == [1, 1, 1]
