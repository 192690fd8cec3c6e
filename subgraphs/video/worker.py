"""The video subgraph's background work: the outbox relay, doctors learned from auth's events, the reminder
10 minutes before each consultation, live fan-out of consultation events to both participants; health-data
protection (protection.py, sealing.py): answers to integrity checks, erasure of deleted accounts, moving
encrypted rows to the active data key.

Runs inside the subgraph process by default (VIDEO_WORKERS=true) or as its own process (`manpasik worker
video`); any number of copies may run: consumer groups share the work, the relay and the reminder pass lock
their rows (PostgreSQL; the embedded SQLite default runs one process).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from libs.events import CloudEvent, EventConsumer, EventPublisher
from libs.events.housekeeping import every
from libs.events.streams import (
    AUTH_STREAM,
    CONSULTATION_STREAM,
    DATA_KEY_ROTATED,
    DATA_STREAM,
    USER_DELETION_REQUESTED,
)
from libs.events.workers import EventWorkers
from libs.polling import PollingLoop
from libs.time import utcnow
from subgraphs.video import protection
from subgraphs.video.events import LIVE_GROUP, live_messages
from subgraphs.video.resources import VideoResources
from subgraphs.video.service import AUTH_GROUP, VideoService

REMINDER_BATCH = 100
RESEAL_BATCH = 200
KEEP_PROCESSED = timedelta(days=30)
PRUNE_EVERY_S = 3600


class VideoWorkers(EventWorkers):
    name = "video"

    def __init__(self, res: VideoResources, *, consumer_name: str | None = None, block_ms: int = 1000,
                 reminder_interval_s: float | None = None) -> None:
        self.res = res
        # From the start of the auth stream ("0"): doctors created before this subgraph first ran count too.
        self.auth = EventConsumer(res.redis, res.settings, stream=AUTH_STREAM, group=AUTH_GROUP,
                                  handler=self._on_auth_event, consumer=consumer_name, dedupe=False,
                                  block_ms=block_ms)
        # Live fan-out from the durable stream; "$": a new group does not replay history to sockets.
        self.live = EventConsumer(res.redis, res.settings, stream=CONSULTATION_STREAM, group=LIVE_GROUP,
                                  handler=self._on_consultation_event,
                                  batch_handler=self._on_consultation_events,
                                  consumer=consumer_name, block_ms=block_ms, start_id="$")
        # Integrity checks: re-hash every stored record (a re-run only answers again: no marker needed); key
        # rotations: a new data key of ours too (once per event), then the re-encryption pass at once.
        publisher = EventPublisher(res.redis, res.settings)
        self.checks = EventConsumer(res.redis, res.settings, stream=DATA_STREAM,
                                    group=protection.CHECKS_GROUP,
                                    handler=lambda e: self._on_data_event(publisher, e),
                                    consumer=consumer_name, block_ms=block_ms)
        interval = res.own.reminder_interval_s if reminder_interval_s is None else reminder_interval_s
        self.reminders = PollingLoop(self.send_reminders, interval_s=interval,
                                     batch_size=REMINDER_BATCH, name="consultation reminders")
        self.resealing = PollingLoop(self.reseal, interval_s=res.own.reseal_interval_s,
                                     batch_size=RESEAL_BATCH, name="video re-encryption")
        super().__init__(consumers=[self.auth, self.live, self.checks],
                         loops=[res.relay.run, self.reminders.run, self.resealing.run, self._pruning])

    async def _on_auth_event(self, event: CloudEvent) -> None:
        async with self.res.db.write() as repo:
            service = VideoService(repo, self.res.deps)
            if event.type == USER_DELETION_REQUESTED:
                await service.handle_account_deleted(event)
            else:
                await service.handle_auth_event(event)

    async def _on_data_event(self, publisher: EventPublisher, event: CloudEvent) -> None:
        if event.type == DATA_KEY_ROTATED:
            async with self.res.db.write() as repo:
                rotated = await protection.rotate_keys(repo, self.res.deps.sealer, event)
            if rotated:
                self.resealing.wake()
            return
        async with self.res.db.read() as repo:
            await protection.answer_check(repo, self.res.deps.sealer, publisher, event)

    async def reseal(self) -> int:
        """One pass of moving encrypted rows (and plaintext ones from before encryption) to the active key."""
        async with self.res.db.write() as repo:
            return await self.res.deps.sealer.reseal_once(repo, RESEAL_BATCH)

    async def _on_consultation_event(self, event: CloudEvent) -> None:
        await self._on_consultation_events([event])

    async def _on_consultation_events(self, events: list[CloudEvent]) -> None:
        await self.res.live.publish_many([m for e in events for m in live_messages(e)])

    async def send_reminders(self) -> int:
        """One pass: consultations starting within the reminder lead get their one reminder."""
        async with self.res.db.write() as repo:
            handled = await VideoService(repo, self.res.deps).send_due_reminders(REMINDER_BATCH)
        return len(handled.items)  # the commit woke the relay: the reminders go out now

    async def _pruning(self, stop: asyncio.Event) -> None:
        await every(stop, PRUNE_EVERY_S, self.prune, name="video pruning")

    async def prune(self) -> int:
        async with self.res.db.write() as repo:
            return await repo.prune_processed(utcnow() - KEEP_PROCESSED)
