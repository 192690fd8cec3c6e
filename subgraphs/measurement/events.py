"""`measurement.recorded` on Redis Streams, and the relay that delivers what Redis missed.

Each measurement document carries its event id as an outbox marker until the event is on the stream
(MongoDB has no cross-collection transaction on a standalone server, so the marker lives on the document
itself: stored together or not at all). Publishing happens right after the insert; if Redis is down the
request still succeeds and the relay republishes later, with the same event id so consumers deduplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from libs.config import Settings
from libs.events import CloudEvent, EventPublisher
from libs.events.publisher import entry_fields
from libs.events.streams import MEASUREMENT_RECORDED, MEASUREMENT_STREAM, stream_key
from subgraphs.measurement.domain import Measurement
from subgraphs.measurement.repository import LeaseRepository, MeasurementRepository

log = logging.getLogger("manpasik.measurement.events")

SOURCE = "/subgraphs/measurement"
# A publish slower than this is treated as failed (the relay retries): a slow Redis never stalls a request.
PUBLISH_TIMEOUT_S = 2.0


def event_data(m: Measurement) -> dict[str, Any]:
    return {
        "measurementId": m.id,
        "userId": m.user_id,
        "type": m.type.value,
        "loinc": m.loinc,
        "value": m.value,
        "unit": m.unit,
        "components": [
            {"code": c.code, "loinc": c.loinc, "value": c.value, "unit": c.unit} for c in m.components
        ],
        "takenAt": m.taken_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "source": m.source.value,
        "context": m.context.value if m.context else None,
        "clientId": m.client_id,
    }


def recorded_event(m: Measurement, event_id: str) -> CloudEvent:
    return CloudEvent.new(
        type=MEASUREMENT_RECORDED, source=SOURCE, subject=m.user_id, data=event_data(m), id=event_id
    )


class RedisEventSink:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self.publisher = EventPublisher(redis, settings)

    async def measurements_recorded(self, recorded: Sequence[tuple[Measurement, str]]) -> bool:
        # One pipelined round trip of the same XADDs EventPublisher.publish sends one by one.
        key = stream_key(self.settings, MEASUREMENT_STREAM)
        maxlen = self.settings.event_stream_maxlen or None
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for m, event_id in recorded:
                    pipe.xadd(key, entry_fields(recorded_event(m, event_id)), maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
                await asyncio.wait_for(pipe.execute(), PUBLISH_TIMEOUT_S)
        except Exception as e:
            log.warning(
                "%d measurement.recorded events not published now (%r); the relay will retry",
                len(recorded),
                e,
            )
            return False
        return True

    async def measurement_recorded(self, measurement: Measurement, event_id: str) -> bool:
        try:
            await asyncio.wait_for(
                self.publisher.publish(
                    stream=MEASUREMENT_STREAM, event=recorded_event(measurement, event_id)
                ),
                PUBLISH_TIMEOUT_S,
            )
        except (
            Exception
        ) as e:  # unreachable, timed out, read-only replica...: all mean "not on the stream yet"
            log.warning("measurement.recorded %s not published now (%r); the relay will retry", event_id, e)
            return False
        return True


class PendingEventRelay:
    """Republishes `measurement.recorded` for documents whose marker is still set, then clears it."""

    LEASE = "measurement-event-relay"

    def __init__(
        self,
        repo: MeasurementRepository,
        leases: LeaseRepository,
        sink: RedisEventSink,
        *,
        interval_s: float = 5.0,
        grace_s: float = 10.0,
        batch: int = 200,
    ) -> None:
        self.repo = repo
        self.leases = leases
        self.sink = sink
        self.interval_s = interval_s
        # One replica relays at a time (the others would publish the same events again); the lease outlives a
        # few missed rounds, so a stopped holder is replaced within about 30 s.
        self.owner = uuid.uuid4().hex
        self.lease_ttl = timedelta(seconds=max(30.0, 3 * interval_s))
        # Leaves the request's own publish time to finish, so a healthy system does not publish twice.
        self.grace = timedelta(seconds=grace_s)
        self.batch = batch

    async def relay_once(self) -> int:
        now = datetime.now(UTC)
        if not await self.leases.acquire(self.LEASE, self.owner, now, self.lease_ttl):
            return 0
        pending = await self.repo.with_pending_event(now - self.grace, self.batch)
        if not pending or not await self.sink.measurements_recorded(pending):
            return 0  # nothing to do, or Redis still down: next round
        await self.repo.clear_pending_events([(m.id, event_id) for m, event_id in pending])
        log.info("relayed %d pending measurement.recorded events", len(pending))
        return len(pending)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                while await self.relay_once() == self.batch:
                    pass
            except Exception:
                log.exception("pending-event relay round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)
        with contextlib.suppress(Exception):  # let another replica take over now, not after the TTL
            await self.leases.release(self.LEASE, self.owner)
