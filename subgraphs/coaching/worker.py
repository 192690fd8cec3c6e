"""The coaching subgraph's background work: consume measurements and the owners' languages (auth), follow the
templates (libs.i18n.TemplateFeed), relay the outbox, fan insights out live, prune processed-event markers.

Runs inside the subgraph process by default (COACHING_WORKERS=true) or as its own process (`manpasik worker
coaching`); any number of copies may run: the consumer groups share the work and the relay locks its rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from libs.events import CloudEvent, EventConsumer, OutboxRelay
from libs.events.housekeeping import every
from libs.events.streams import AUTH_STREAM, COACHING_STREAM, MEASUREMENT_STREAM
from libs.events.workers import EventWorkers, Handled
from libs.i18n import TemplateFeed
from libs.time import utcnow
from subgraphs.coaching.events import LIVE_GROUP, LIVE_TOPIC, live_message
from subgraphs.coaching.models import CoachingOutbox, InsightRow
from subgraphs.coaching.resources import CoachingResources
from subgraphs.coaching.service import CONSUMER_GROUP, CoachingService, measurements

__all__ = ["LIVE_TOPIC", "CoachingWorkers", "handle_measurements"]

CONCURRENCY = 8  # below the SQL pool size (10)
BATCH_SIZE = 64  # entries per read, handled in one transaction
RELAY_GRACE_S = 2.0
KEEP_PROCESSED = timedelta(days=30)
PRUNE_EVERY_S = 3600


async def handle_measurements(res: CoachingResources, events: Sequence[CloudEvent]) -> Handled[InsightRow]:
    """One consumer read's measurements, in one unit of work. With a language model, each is judged in a
    read, its texts are reworded outside any transaction, and it is written in a unit of its own (which
    re-checks that no other worker handled it meanwhile)."""
    enricher = res.deps.enricher
    if enricher is None:
        async with res.db.write() as repo:
            return await CoachingService(repo, res.deps).handle_events(events)
    handled = Handled[InsightRow]()
    for event, reading in measurements(events):
        async with res.db.read() as repo:
            judged = await CoachingService(repo, res.deps).judge(event, reading)
        if judged is None:
            continue
        judged.insights = [await enricher.reword_insight(row, judged.person.language)
                           for row in judged.insights]
        async with res.db.write() as repo:
            handled.extend(await CoachingService(repo, res.deps).record(judged))
    return handled


class CoachingWorkers(EventWorkers):
    name = "coaching"

    def __init__(self, res: CoachingResources, *, consumer_name: str | None = None,
                 block_ms: int = 1000) -> None:
        self.res = res
        # SQL handler: the processed-event marker lives in the handler's own transaction (dedupe=False).
        # A whole read goes into one transaction (in stream order, so one user's measurements stay in order);
        # one by one, in concurrent lanes per user, only when that batch fails.
        self.measurements = EventConsumer(
            res.redis, res.settings, stream=MEASUREMENT_STREAM, group=CONSUMER_GROUP,
            handler=self._on_measurement, batch_handler=self._on_measurements, consumer=consumer_name,
            dedupe=False, block_ms=block_ms, concurrency=CONCURRENCY, batch_size=BATCH_SIZE,
        )
        # The owners' languages from auth (sign-up, setLanguagePreference): idempotent, Redis markers.
        self.accounts = EventConsumer(
            res.redis, res.settings, stream=AUTH_STREAM, group=CONSUMER_GROUP,
            handler=self._on_account, consumer=consumer_name, block_ms=block_ms,
        )
        # Every process holds every template: the feed reads the translation stream without a group.
        self.templates = TemplateFeed(res.redis, res.settings, res.deps.catalogue, block_ms=block_ms)
        # Live fan-out is fed from the durable stream: an insight committed while this process was down is
        # still announced when it comes back. "$": a new group does not replay history to sockets.
        self.live = EventConsumer(
            res.redis, res.settings, stream=COACHING_STREAM, group=LIVE_GROUP, handler=self._on_insight,
            batch_handler=self._on_insights, consumer=consumer_name, block_ms=block_ms, start_id="$",
            concurrency=CONCURRENCY, batch_size=BATCH_SIZE,
        )
        # Insights are published right after their commit (publish_now); the relay is the safety net for
        # what that missed, and leaves younger rows alone so the normal case publishes once.
        self.relay = OutboxRelay(res.sessions, CoachingOutbox, res.publisher, interval_s=0.5,
                                 grace_s=RELAY_GRACE_S)
        super().__init__(consumers=[self.measurements, self.accounts, self.live],
                         loops=[self.relay.run, self.templates.run, self._pruning])

    async def prepare(self) -> None:
        await self.templates.sync()  # the admins' texts before the first measurement is worded
        await super().prepare()

    async def _on_measurement(self, event: CloudEvent) -> None:
        await self._on_measurements([event])

    async def _on_measurements(self, events: list[CloudEvent]) -> None:
        handled = await handle_measurements(self.res, events)
        await self.relay.publish_now(handled.outbox)  # committed: publish at once

    async def _on_account(self, event: CloudEvent) -> None:
        async with self.res.db.write() as repo:
            await CoachingService(repo, self.res.deps).handle_account(event)

    async def _on_insight(self, event: CloudEvent) -> None:
        await self._on_insights([event])

    async def _on_insights(self, events: list[CloudEvent]) -> None:
        # One round trip for the whole read.
        await self.res.live.publish_many([m for m in map(live_message, events) if m is not None])

    async def _pruning(self, stop: asyncio.Event) -> None:
        await every(stop, PRUNE_EVERY_S, self.prune, name="coaching pruning")

    async def prune(self) -> int:
        """Processed-event markers outlive any redelivery after KEEP_PROCESSED; then they go."""
        async with self.res.db.write() as repo:
            return await repo.prune_processed(utcnow() - KEEP_PROCESSED)
