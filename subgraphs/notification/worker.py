"""The notification subgraph's background work: consume domain events, follow the templates
(libs.i18n.TemplateFeed), relay the outbox, send pushes, fan `notification.created` out live, prune. Runs in
the subgraph process (NOTIFICATION_WORKERS) or on its own (`manpasik worker notification`); any number of
copies may run."""

from __future__ import annotations

from datetime import timedelta

from libs.events import CloudEvent, EventConsumer, OutboxRelay
from libs.events.housekeeping import every
from libs.events.streams import NOTIFICATION_STREAM
from libs.events.workers import EventWorkers
from libs.i18n import TemplateFeed
from libs.time import utcnow
from subgraphs.notification.events import LIVE_GROUP, LIVE_TOPIC, live_message
from subgraphs.notification.models import NotificationOutbox
from subgraphs.notification.push import PushDispatcher
from subgraphs.notification.resources import NotificationResources
from subgraphs.notification.service import CONSUMER_GROUP, NotificationService

__all__ = ["LIVE_TOPIC", "NotificationWorkers"]

CONCURRENCY = 4  # per stream, several streams share the SQL pool (10)
BATCH_SIZE = 64  # entries per read, handled in one unit of work
RELAY_GRACE_S = 2.0
KEEP = timedelta(days=30)


class NotificationWorkers(EventWorkers):
    name = "notification"

    def __init__(self, res: NotificationResources, *, consumer_name: str | None = None,
                 block_ms: int = 1000) -> None:
        self.res = res
        # `notification.created` goes out right after its commit (publish_now); the relay is the safety net
        # for what that missed, and leaves younger rows alone so the normal case publishes once.
        self.relay = OutboxRelay(res.sessions, NotificationOutbox, res.publisher, interval_s=0.5,
                                 grace_s=RELAY_GRACE_S)
        self.push = PushDispatcher(res.db, res.fcm, interval_s=0.5)
        # A whole read in one unit of work (stream order kept); one by one only when that batch fails.
        events = [EventConsumer(res.redis, res.settings, stream=s, group=CONSUMER_GROUP,
                                handler=self._on_event, batch_handler=self._on_events, consumer=consumer_name,
                                dedupe=False, block_ms=block_ms, concurrency=CONCURRENCY,
                                batch_size=BATCH_SIZE)
                  for s in res.own.stream_names()]
        # Live fan-out is fed from the durable stream; "$": a new group does not replay history to sockets.
        self.live = EventConsumer(res.redis, res.settings, stream=NOTIFICATION_STREAM, group=LIVE_GROUP,
                                  handler=self._on_created, batch_handler=self._on_created_many,
                                  consumer=consumer_name, block_ms=block_ms, start_id="$",
                                  concurrency=CONCURRENCY, batch_size=BATCH_SIZE)
        # Every process holds every template: the feed reads the translation stream without a group.
        self.templates = TemplateFeed(res.redis, res.settings, res.deps.catalogue, block_ms=block_ms)
        super().__init__(consumers=[*events, self.live], loops=[
            self.relay.run, self.push.run, self.templates.run,
            lambda stop: every(stop, 3600, self.prune, name="notification pruning")])

    async def prepare(self) -> None:
        await self.templates.sync()  # the admins' texts before the first event is worded
        await super().prepare()

    async def _on_event(self, event: CloudEvent) -> None:
        await self._on_events([event])

    async def _on_events(self, events: list[CloudEvent]) -> None:
        async with self.res.db.write() as repo:
            handled = await NotificationService(repo, self.res.deps).handle_events(events)
        await self.relay.publish_now(handled.outbox)
        if handled.items and self.res.fcm is not None:
            self.push.wake()  # without FCM queued deliveries are dropped on the timer's pass

    async def _on_created(self, event: CloudEvent) -> None:
        await self._on_created_many([event])

    async def _on_created_many(self, events: list[CloudEvent]) -> None:
        messages = [m for m in map(live_message, events) if m is not None]
        await self.res.live.publish_many(messages)  # one round trip for the whole read

    async def prune(self) -> int:
        """Processed-event markers and finished push deliveries are kept KEEP days, then deleted."""
        cutoff = utcnow() - KEEP
        async with self.res.db.write() as repo:
            return await repo.prune_processed(cutoff) + await repo.prune_deliveries(cutoff)
