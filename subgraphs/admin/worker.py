"""The admin subgraph's background work: fold every read stream into admin actions and daily analytics, and
rebuild the analytics from the streams on demand (`rebuild_analytics`).

Runs inside the subgraph process by default (ADMIN_WORKERS=true) or as its own process (`manpasik worker
admin`); copies share the work through the consumer groups, and the processed-event markers keep a
redelivered event from counting twice.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial

from libs.events import CloudEvent, EventConsumer
from libs.events.housekeeping import every
from libs.events.workers import EventWorkers
from libs.time import utcnow
from subgraphs.admin.resources import AdminResources
from subgraphs.admin.service import CONSUMER_GROUP, AdminService
from subgraphs.admin.streams import READ_STREAMS, replay

BATCH_SIZE = 256  # a read is folded in one transaction: a handful of statements whatever its size
KEEP_PROCESSED = timedelta(days=30)
PRUNE_EVERY_S = 3600


async def rebuild_analytics(res: AdminResources) -> int:
    """Forgets the figures and folds every event the streams still hold, in one transaction that consumers
    wait for; the figures equal what the live consumers had counted. Returns the number of events."""
    async with res.db.write() as repo:
        return await AdminService(repo, res.deps).rebuild(partial(replay, res.redis, res.settings))


class AdminWorkers(EventWorkers):
    name = "admin"

    def __init__(self, res: AdminResources, *, consumer_name: str | None = None,
                 block_ms: int = 1000) -> None:
        self.res = res
        consumers = [
            EventConsumer(res.redis, res.settings, stream=stream, group=CONSUMER_GROUP,
                          handler=self._on_event, batch_handler=self._on_events, consumer=consumer_name,
                          dedupe=False, block_ms=block_ms, batch_size=BATCH_SIZE)
            for stream in READ_STREAMS
        ]
        super().__init__(consumers=consumers, loops=[self._pruning])

    async def _on_event(self, event: CloudEvent) -> None:
        await self._on_events([event])

    async def _on_events(self, events: list[CloudEvent]) -> None:
        async with self.res.db.write() as repo:
            await AdminService(repo, self.res.deps).handle_events(events)

    async def _pruning(self, stop: asyncio.Event) -> None:
        await every(stop, PRUNE_EVERY_S, self.prune, name="admin pruning")

    async def prune(self) -> int:
        async with self.res.db.write() as repo:
            return await repo.prune_processed(utcnow() - KEEP_PROCESSED)
