"""The notification subgraph's background work: consume domain events, relay the outbox, send pushes, and
fan `notification.created` out live. Runs in the subgraph process (NOTIFICATION_WORKERS) or on its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from libs.db.sql import unit_of_work
from libs.events import CloudEvent, EventConsumer, OutboxRelay, prune_processed
from libs.events.housekeeping import every
from libs.events.streams import NOTIFICATION_CREATED, NOTIFICATION_STREAM
from subgraphs.notification.models import NotificationOutbox, NotificationProcessedEvent, utcnow
from subgraphs.notification.push import PushDispatcher
from subgraphs.notification.repository import NotificationRepository
from subgraphs.notification.resources import NotificationResources
from subgraphs.notification.service import CONSUMER_GROUP, NotificationService

log = logging.getLogger("manpasik.notification.worker")

LIVE_TOPIC = "notification"
LIVE_GROUP = "notification-live"
CONCURRENCY = 4  # per stream, several streams share the SQL pool (10)
BATCH_SIZE = 64  # entries per read, handled in one transaction
RELAY_GRACE_S = 2.0
KEEP = timedelta(days=30)


class NotificationWorkers:
    def __init__(self, res: NotificationResources, *, consumer_name: str | None = None,
                 block_ms: int = 1000) -> None:
        self.res = res
        # `notification.created` goes out right after its commit (publish_now); the relay is the safety net
        # for what that missed, and leaves younger rows alone so the normal case publishes once.
        self.relay = OutboxRelay(res.sessions, NotificationOutbox, res.publisher, interval_s=0.5,
                                 grace_s=RELAY_GRACE_S)
        self.push = PushDispatcher(res.sessions, res.fcm, interval_s=0.5)
        streams = [s.strip() for s in res.settings.notification_streams.split(",") if s.strip()]
        self.consumers = [
            # A whole read in one transaction (stream order kept); one by one only when that batch fails.
            EventConsumer(res.redis, res.settings, stream=s, group=CONSUMER_GROUP, handler=self._on_event,
                          batch_handler=self._on_events, consumer=consumer_name, dedupe=False,
                          block_ms=block_ms, concurrency=CONCURRENCY, batch_size=BATCH_SIZE)
            for s in streams
        ]
        self.live = EventConsumer(res.redis, res.settings, stream=NOTIFICATION_STREAM, group=LIVE_GROUP,
                                  handler=self._on_created, batch_handler=self._on_created_many,
                                  consumer=consumer_name, block_ms=block_ms, start_id="$",
                                  concurrency=CONCURRENCY, batch_size=BATCH_SIZE)

    async def _on_event(self, event: CloudEvent) -> None:
        await self._on_events([event])

    async def _on_events(self, events: list[CloudEvent]) -> None:
        handled = await self.res.service.handle_events(events)
        await self.relay.publish_now(handled.outbox)
        if handled.notifications and self.res.fcm is not None:
            self.push.wake()  # without FCM queued deliveries are dropped on the timer's pass

    async def _on_created(self, event: CloudEvent) -> None:
        await self._on_created_many([event])

    async def _on_created_many(self, events: list[CloudEvent]) -> None:
        messages = []
        for event in events:
            data = event.data
            if event.type != NOTIFICATION_CREATED or not data.get("inApp", True) or not isinstance(
                    data.get("userId"), str):
                continue
            message = {"notificationId": data["notificationId"]}
            if NotificationService.row_from_created(data) is not None:
                message["notification"] = data  # subscribers build the notification from it: no query each
            messages.append((LIVE_TOPIC, data["userId"], message))
        await self.res.live.publish_many(messages)  # one round trip for the whole read

    async def prepare(self) -> None:
        for c in [*self.consumers, self.live]:
            await c.ensure_group()

    async def run(self, stop: asyncio.Event) -> None:
        await self.prepare()
        await asyncio.gather(*(c.run(stop) for c in self.consumers), self.live.run(stop),
                             every(stop, 3600, self.prune, name="notification pruning"),
                             self.relay.run(stop), self.push.run(stop))

    async def prune(self) -> int:
        """Processed-event markers and finished push deliveries are kept KEEP days, then deleted."""
        cutoff = utcnow() - KEEP
        async with unit_of_work(self.res.sessions) as session:
            markers = await prune_processed(session, NotificationProcessedEvent, cutoff)
            deliveries = await NotificationRepository(session).prune_deliveries(cutoff)
        return markers + deliveries

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[NotificationWorkers]:
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
                log.warning("notification workers did not stop in time")
