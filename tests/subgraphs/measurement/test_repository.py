"""Repository paths that requests reach only under races, driven directly against the running app's store.

The module's app (the `url` fixture) runs in this test's event loop and has bound the Beanie documents to its
client, so the real repository works here as it does inside a request.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from subgraphs.measurement.catalogue import MeasurementSource, MeasurementType
from subgraphs.measurement.domain import Measurement
from subgraphs.measurement.repository import MeasurementRepository, Measurements, new_id


def _reading(user_id: str, client_id: str, value: float) -> Measurement:
    now = datetime.now(UTC).replace(microsecond=0)
    return Measurement(
        user_id=user_id,
        type=MeasurementType.HEART_RATE,
        loinc="8867-4",
        source=MeasurementSource.MANUAL,
        taken_at=now,
        client_id=client_id,
        value=value,
        unit="/min",
        recorded_at=now,
    )


async def test_unordered_insert_returns_the_stored_twin_of_a_taken_client_id(url) -> None:
    repo = Measurements()
    user = uuid.uuid4().hex
    [(first, inserted)] = await repo.insert_many([(_reading(user, "a", 60), new_id(), "e1")])
    assert inserted
    # A concurrent batch passed its pre-check before "a" was stored: the unique index refuses only that one.
    results = await repo.insert_many(
        [
            (_reading(user, "a", 99), new_id(), "e2"),
            (_reading(user, "b", 61), new_id(), "e3"),
        ]
    )
    assert [(m.client_id, m.value, inserted) for m, inserted in results] == [
        ("a", 60.0, False),
        ("b", 61.0, True),
    ]
    assert results[0][0].id == first.id


async def test_lease_has_one_holder_until_released_or_expired(url) -> None:
    from datetime import timedelta

    from subgraphs.measurement.repository import Leases

    leases, name, ttl = Leases(), f"test-{uuid.uuid4().hex}", timedelta(seconds=30)
    t0 = datetime.now(UTC)
    assert await leases.acquire(name, "a", t0, ttl)
    assert not await leases.acquire(name, "b", t0, ttl)
    assert await leases.acquire(name, "a", t0 + timedelta(seconds=20), ttl)  # renewal moves the expiry on
    assert not await leases.acquire(name, "b", t0 + timedelta(seconds=40), ttl)
    assert await leases.acquire(name, "b", t0 + timedelta(seconds=51), ttl)  # a stopped renewing
    await leases.release(name, "a")  # not the holder: no effect
    assert not await leases.acquire(name, "a", t0 + timedelta(seconds=52), ttl)
    await leases.release(name, "b")
    assert await leases.acquire(name, "a", t0 + timedelta(seconds=53), ttl)


async def test_competing_relays_publish_a_pending_event_once(url, msettings, redis) -> None:
    import asyncio

    from libs.db.uow import NoTransactions
    from libs.events import CloudEvent
    from libs.events.streams import MEASUREMENT_STREAM, stream_key
    from subgraphs.measurement.events import RedisEventSink
    from subgraphs.measurement.worker import PendingEventRelay

    repo = MeasurementRepository()
    [(m, _)] = await repo.measurements.insert_many(
        [(_reading(uuid.uuid4().hex, "p", 70), new_id(), uuid.uuid4().hex)]
    )
    sink = RedisEventSink(redis, msettings)
    # Three more replicas beside the module app's own relay, all past the grace period at once.
    relays = [PendingEventRelay(NoTransactions(repo), sink, grace_s=0) for _ in range(3)]

    async def published() -> int:
        entries = await redis.xrange(stream_key(msettings, MEASUREMENT_STREAM))
        events = [CloudEvent.from_json(f["event"]) for _, f in entries]
        return sum(e.data["measurementId"] == m.id for e in events)

    for _ in range(50):  # rounds of every relay until the event is out (the app's relay may hold the lease)
        await asyncio.gather(*(r.relay_once() for r in relays))
        if await published():
            break
        await asyncio.sleep(0.1)
    for _ in range(5):
        await asyncio.gather(*(r.relay_once() for r in relays))
    await asyncio.sleep(0.6)  # the app's relay rounds too
    assert await published() == 1
