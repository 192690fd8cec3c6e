"""The pending-event relay runs where MEASUREMENT_WORKERS says: inside the API, or as a process of its own
(`manpasik worker measurement`: open_resources + MeasurementWorkers(res).run(stop))."""

from __future__ import annotations

import asyncio

from pymongo import AsyncMongoClient

from libs.config import Settings
from libs.events import CloudEvent
from libs.events.streams import MEASUREMENT_STREAM, stream_key
from libs.testing import free_port, running_app
from subgraphs.measurement.app import create_app
from subgraphs.measurement.resources import open_resources
from subgraphs.measurement.settings import MeasurementSettings
from subgraphs.measurement.worker import MeasurementWorkers
from tests.subgraphs.measurement.conftest import User, database


async def _pending(settings: Settings, measurement_id: str) -> str | None:
    from bson import ObjectId

    client: AsyncMongoClient = AsyncMongoClient(settings.mongodb_url, tz_aware=True)
    try:
        doc = await client[database(settings)]["measurements"].find_one({"_id": ObjectId(measurement_id)})
    finally:
        await client.close()
    assert doc is not None
    return doc.get("pending_event_id")


async def test_workers_run_apart_from_the_api(settings: Settings, redis) -> None:
    # No other measurement app runs now (no `url` here): Beanie binds one database per process, so another
    # app's relay would see this database too.
    own_settings = settings.model_copy(update={"db_suffix": settings.db_suffix + "_w"})
    api_only = MeasurementSettings(
        workers=False,
        relay_interval_s=0.1,
        relay_grace_s=0,
        events_redis_url=f"redis://127.0.0.1:{free_port()}/0",  # the bus is unreachable from the API
    )
    async with running_app(create_app(own_settings, api_only)) as base:
        u = User(own_settings, base + "/graphql")
        m = (await u.record(type="HEART_RATE", value=64, unit="/min"))["data"]["recordMeasurement"]
        event_id = await _pending(own_settings, m["id"])
        assert event_id is not None
        await asyncio.sleep(0.5)  # no relay inside this API process
        assert await _pending(own_settings, m["id"]) == event_id

        stop = asyncio.Event()
        worker_own = MeasurementSettings(relay_interval_s=0.1, relay_grace_s=0)
        async with open_resources(own_settings, worker_own) as res:
            task = asyncio.create_task(MeasurementWorkers(res).run(stop))
            try:
                for _ in range(100):
                    if await _pending(own_settings, m["id"]) is None:
                        break
                    await asyncio.sleep(0.1)
            finally:
                stop.set()
                await asyncio.wait_for(task, 10)
        assert await _pending(own_settings, m["id"]) is None
        entries = await redis.xrange(stream_key(own_settings, MEASUREMENT_STREAM))
        events = [CloudEvent.from_json(f["event"]) for _, f in entries]
        assert [e.id for e in events if e.data["measurementId"] == m["id"]] == [event_id]
