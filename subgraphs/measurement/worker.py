"""Background work of the measurement subgraph: the relay of `measurement.recorded` events Redis missed.

Runs inside the API process (MEASUREMENT_WORKERS=true, the default) or as a process of its own:
`manpasik worker measurement`. Any number of copies may run: a lease lets one relay at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta

from libs.db.uow import UnitsOfWork
from libs.events import CloudEvent, EventConsumer, EventPublisher
from libs.events.streams import AUTH_STREAM, CONSULTATION_STREAM, DATA_STREAM, MEASUREMENT_RECORDED
from libs.events.workers import EventWorkers
from libs.polling import PollingLoop
from libs.time import utcnow
from subgraphs.measurement import grants, integrity
from subgraphs.measurement.repository import MeasurementRepository
from subgraphs.measurement.resources import MeasurementResources
from subgraphs.measurement.service import EventSink

log = logging.getLogger("manpasik.measurement.events")

CONSUMER_GROUP = "measurement"


class PendingEventRelay:
    """Republishes `measurement.recorded` for documents whose outbox marker is still set, then clears it."""

    LEASE = "measurement-event-relay"

    def __init__(
        self,
        db: UnitsOfWork[MeasurementRepository],
        sink: EventSink,
        *,
        interval_s: float = 5.0,
        grace_s: float = 10.0,
        batch: int = 200,
    ) -> None:
        self.db = db
        self.sink = sink
        # One replica relays at a time (the others would publish the same events again); the lease outlives a
        # few missed rounds, so a stopped holder is replaced within about 30 s.
        self.owner = uuid.uuid4().hex
        self.lease_ttl = timedelta(seconds=max(30.0, 3 * interval_s))
        # Leaves the request's own publish time to finish, so a healthy system does not publish twice.
        self.grace = timedelta(seconds=grace_s)
        self.batch = batch
        self.loop = PollingLoop(
            self.relay_once, interval_s=interval_s, batch_size=batch, name="measurement event relay"
        )

    async def relay_once(self) -> int:
        now = utcnow()
        async with self.db.write() as repo:
            if not await repo.leases.acquire(self.LEASE, self.owner, now, self.lease_ttl):
                return 0
            pending = await repo.measurements.with_pending_event(now - self.grace, self.batch)
            # A write that stopped after its insert may not have reached its latest-per-type document either.
            await repo.measurements.keep_latest([m for m, _ in pending])
            if not pending or not await self.sink.measurements_recorded(pending):
                return 0  # nothing to do, or Redis still down: next round
            await repo.measurements.clear_pending_events([(m.id, event_id) for m, event_id in pending])
        log.info("relayed %d pending %s events", len(pending), MEASUREMENT_RECORDED)
        return len(pending)

    async def run(self, stop: asyncio.Event) -> None:
        await self.loop.run(stop)
        with contextlib.suppress(Exception):  # let another replica take over now, not after the TTL
            async with self.db.write() as repo:
                await repo.leases.release(self.LEASE, self.owner)


class MeasurementWorkers(EventWorkers):
    name = "measurement"

    def __init__(self, res: MeasurementResources) -> None:
        self.relay = PendingEventRelay(
            res.db,
            res.deps.events,
            interval_s=res.own.relay_interval_s,
            grace_s=res.own.relay_grace_s,
        )
        self.res = res
        # Health-data protection (integrity.py): integrity checks re-hash the stored measurements, account
        # deletions erase them. Redis-marker dedupe: a re-run of either is harmless anyway.
        publisher = EventPublisher(res.redis, res.settings)
        self.checks = EventConsumer(
            res.redis,
            res.settings,
            stream=DATA_STREAM,
            group=CONSUMER_GROUP,
            handler=lambda e: self._on_check(publisher, e),
        )
        self.accounts = EventConsumer(
            res.redis, res.settings, stream=AUTH_STREAM, group=CONSUMER_GROUP, handler=self._on_account
        )
        # Consultations with shared measurements (grants.py): idempotent upserts keyed by consultation.
        # Consumers read REDIS_URL like the others; `events_redis` is where this subgraph publishes, which
        # may be away while the API keeps storing (readings wait in the outbox).
        self.grants = EventConsumer(
            res.redis,
            res.settings,
            stream=CONSULTATION_STREAM,
            group=grants.CONSUMER_GROUP,
            handler=self._on_consultation,
        )
        super().__init__(consumers=[self.checks, self.accounts, self.grants], loops=[self.relay.run])

    async def _on_check(self, publisher: EventPublisher, event: CloudEvent) -> None:
        async with self.res.db.read() as repo:
            await integrity.answer_check(repo, publisher, event)

    async def _on_account(self, event: CloudEvent) -> None:
        async with self.res.db.write() as repo:
            await integrity.erase(repo, event)

    async def _on_consultation(self, event: CloudEvent) -> None:
        await grants.handle_consultation_event(event)
