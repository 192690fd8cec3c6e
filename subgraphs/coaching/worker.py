"""The coaching subgraph's background work: consume measurements, relay the outbox, fan insights out live.

Runs inside the subgraph process by default (COACHING_WORKERS=true) or as its own process; any number of
copies may run: the consumer groups share the work and the relay locks its rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from libs.db.sql import unit_of_work
from libs.events import CloudEvent, EventConsumer, OutboxRelay, prune_processed
from libs.events.housekeeping import every
from libs.events.streams import (
    COACHING_INSIGHT_CREATED,
    COACHING_STREAM,
    MEASUREMENT_STREAM,
    TRANSLATION_STREAM,
)
from subgraphs.coaching.models import CoachingOutbox, CoachingProcessedEvent, utcnow
from subgraphs.coaching.resources import CoachingResources
from subgraphs.coaching.service import CONSUMER_GROUP

log = logging.getLogger("manpasik.coaching.worker")

LIVE_TOPIC = "coaching"
LIVE_GROUP = "coaching-live"
CONCURRENCY = 8  # below the SQL pool size (10)
BATCH_SIZE = 64  # entries per read, handled in one transaction
RELAY_GRACE_S = 2.0
KEEP_PROCESSED = timedelta(days=30)


class CoachingWorkers:
    def __init__(self, res: CoachingResources, *, consumer_name: str | None = None,
                 block_ms: int = 1000) -> None:
        self.res = res
        # Insights are published right after their commit (publish_now); the relay is the safety net for
        # what that missed, and leaves younger rows alone so the normal case publishes once.
        self.relay = OutboxRelay(res.sessions, CoachingOutbox, res.publisher, interval_s=0.5,
                                 grace_s=RELAY_GRACE_S)
        # SQL handler: the processed-event marker lives in the handler's own transaction (dedupe=False).
        # A whole read goes into one transaction (in stream order, so one user's measurements stay in order);
        # one by one, in concurrent lanes per user, only when that batch fails.
        self.measurements = EventConsumer(
            res.redis, res.settings, stream=MEASUREMENT_STREAM, group=CONSUMER_GROUP,
            handler=self._on_measurement, batch_handler=self._on_measurements, consumer=consumer_name,
            dedupe=False, block_ms=block_ms, concurrency=CONCURRENCY, batch_size=BATCH_SIZE,
        )
        # Text overrides from the translation subgraph: idempotent upserts, deduplicated by Redis markers.
        self.templates = EventConsumer(
            res.redis, res.settings, stream=TRANSLATION_STREAM, group=CONSUMER_GROUP,
            handler=self._on_template, consumer=consumer_name, block_ms=block_ms,
        )
        # Live fan-out is fed from the durable stream: an insight committed while this process was down is
        # still announced when it comes back. "$": a new group does not replay history to sockets.
        self.live = EventConsumer(
            res.redis, res.settings, stream=COACHING_STREAM, group=LIVE_GROUP, handler=self._on_insight,
            batch_handler=self._on_insights, consumer=consumer_name, block_ms=block_ms, start_id="$",
            concurrency=CONCURRENCY, batch_size=BATCH_SIZE,
        )

    async def _on_measurement(self, event: CloudEvent) -> None:
        await self._on_measurements([event])

    async def _on_measurements(self, events: list[CloudEvent]) -> None:
        handled = await self.res.service.handle_events(events)
        await self.relay.publish_now(handled.outbox)

    async def _on_template(self, event: CloudEvent) -> None:
        await self.res.service.handle_template(event)

    async def _on_insight(self, event: CloudEvent) -> None:
        await self._on_insights([event])

    async def _on_insights(self, events: list[CloudEvent]) -> None:
        await self.res.live.publish_many([  # one round trip for the whole read
            (LIVE_TOPIC, e.data["userId"], {"insightId": e.data["insightId"]}) for e in events
            if e.type == COACHING_INSIGHT_CREATED and isinstance(e.data.get("userId"), str)])

    async def prepare(self) -> None:
        """Creates the consumer groups, so events published from now on are kept for them."""
        for consumer in (self.measurements, self.templates, self.live):
            await consumer.ensure_group()

    async def run(self, stop: asyncio.Event) -> None:
        await self.prepare()
        await asyncio.gather(self.measurements.run(stop), self.templates.run(stop), self.live.run(stop),
                             self.relay.run(stop),
                             every(stop, 3600, self.prune, name="coaching pruning"))

    async def prune(self) -> int:
        """Processed-event markers outlive any redelivery after KEEP_PROCESSED; then they go."""
        async with unit_of_work(self.res.sessions) as session:
            return await prune_processed(session, CoachingProcessedEvent, utcnow() - KEEP_PROCESSED)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[CoachingWorkers]:
        stop = asyncio.Event()
        await self.prepare()
        task = asyncio.create_task(self.run(stop))
        try:
            yield self
        finally:
            stop.set()
            try:
                await asyncio.wait_for(task, timeout=10)
            except TimeoutError:
                log.warning("coaching workers did not stop in time")
