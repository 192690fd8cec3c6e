"""Repository mixin for a SQL subgraph's event bookkeeping: processed-event markers and outbox rows, both
written in the caller's transaction (one commit point per event)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from libs.events.envelope import CloudEvent
from libs.events.idempotency import (
    ProcessedEventBase,
    already_processed,
    processed_ids,
    prune_processed,
    record_processed,
)
from libs.events.outbox import OutboxBase, add_to_outbox

T = TypeVar("T")


class EventLedger:
    """Mix into a repository that has `session`; name the subgraph's own tables in the class attributes."""

    session: AsyncSession
    processed_model: ClassVar[type[ProcessedEventBase]]
    outbox_model: ClassVar[type[OutboxBase]]

    async def already_processed(self, group: str, event_id: str) -> bool:
        return await already_processed(self.session, self.processed_model, group, event_id)

    async def processed_ids(self, group: str, event_ids: Sequence[str]) -> set[str]:
        return await processed_ids(self.session, self.processed_model, group, event_ids)

    async def unprocessed(self, group: str,
                          items: Sequence[tuple[CloudEvent, T]]) -> list[tuple[CloudEvent, T]]:
        """The (event, parsed) pairs of one consumer read that `group` has not processed yet, each event once
        (a read may hold a redelivery twice), in their order: one query for the whole read."""
        done = await self.processed_ids(group, [event.id for event, _ in items])
        fresh = []
        for event, item in items:
            if event.id not in done:
                done.add(event.id)
                fresh.append((event, item))
        return fresh

    def record_processed(self, group: str, event: CloudEvent) -> None:
        record_processed(self.session, self.processed_model, group, event.id, event.type)

    async def prune_processed(self, older_than: datetime) -> int:
        """Deletes markers older than any redelivery can be; returns how many (a worker's housekeeping)."""
        return await prune_processed(self.session, self.processed_model, older_than)

    def add_event(self, stream: str, event: CloudEvent) -> OutboxBase:
        return add_to_outbox(self.session, self.outbox_model, stream, event)
