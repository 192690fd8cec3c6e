"""Run a handler once per event id per consumer group.

Two helpers, pick by where the handler's side effects live:
- `RedisIdempotency` (the consumer's default): a short lease while the handler runs, then a long-lived
  "done" marker. A crash mid-handler only leaves the lease, which expires, so the redelivery runs again.
- `ProcessedEventBase` + `already_processed` / `record_processed`: for SQL handlers, the processed id is
  written in the handler's own transaction, so effects and the marker commit (or roll back) together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from sqlalchemy import DateTime, delete
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.config import Settings


class Claim(StrEnum):
    NEW = "new"  # run the handler
    DONE = "done"  # already handled: acknowledge and skip
    BUSY = "busy"  # another consumer is running it now: try again later


class RedisIdempotency:
    def __init__(self, redis: Redis, settings: Settings, group: str, *, ttl_s: int = 7 * 24 * 3600,
                 lease_ms: int = 60_000) -> None:
        self.redis = redis
        self.settings = settings
        self.group = group
        self.ttl_s = ttl_s
        self.lease_ms = lease_ms

    def _key(self, event_id: str) -> str:
        return self.settings.redis_key("events", "processed", self.group, event_id)

    async def begin(self, event_id: str) -> Claim:
        key = self._key(event_id)
        if await self.redis.set(key, "running", nx=True, px=self.lease_ms):
            return Claim.NEW
        return Claim.DONE if await self.redis.get(key) == "done" else Claim.BUSY

    async def begin_many(self, event_ids: Sequence[str]) -> list[Claim]:
        """`begin` for a batch in one pipelined round trip (two when some ids were seen before)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for event_id in event_ids:
                pipe.set(self._key(event_id), "running", nx=True, px=self.lease_ms)
            fresh = await pipe.execute()
        seen = [event_id for event_id, ok in zip(event_ids, fresh, strict=True) if not ok]
        states = {}
        if seen:
            states = dict(zip(seen, await self.redis.mget([self._key(e) for e in seen]), strict=True))
        return [Claim.NEW if ok else Claim.DONE if states.get(event_id) == "done" else Claim.BUSY
                for event_id, ok in zip(event_ids, fresh, strict=True)]

    async def done(self, event_id: str) -> None:
        await self.redis.set(self._key(event_id), "done", ex=self.ttl_s)

    def done_in(self, pipe: Pipeline, event_id: str) -> None:
        """`done` queued on a pipeline (sent together with the acknowledgement)."""
        pipe.set(self._key(event_id), "done", ex=self.ttl_s)

    async def failed(self, event_id: str) -> None:
        await self.redis.delete(self._key(event_id))


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ProcessedEventBase(SQLModel):
    """Mixin for a subgraph's processed-events table: `class Processed(ProcessedEventBase, table=True)` with
    its own `__tablename__` (table names are global in SQLModel's metadata, so prefix them per subgraph)."""

    # The composite key is the uniqueness that makes a concurrent duplicate fail at commit.
    consumer_group: str = Field(max_length=100, primary_key=True)
    event_id: str = Field(max_length=200, primary_key=True)
    event_type: str = Field(max_length=200)
    processed_at: datetime = Field(default_factory=_utcnow,
                                   sa_type=DateTime(timezone=True))


async def already_processed(session: AsyncSession, model: type[ProcessedEventBase], group: str,
                            event_id: str) -> bool:
    stmt = select(model).where(col(model.consumer_group) == group, col(model.event_id) == event_id)
    return (await session.exec(stmt)).first() is not None


async def processed_ids(session: AsyncSession, model: type[ProcessedEventBase], group: str,
                        event_ids: Sequence[str]) -> set[str]:
    """`already_processed` for a batch: the ids among `event_ids` handled before, in one query."""
    if not event_ids:
        return set()
    stmt = select(col(model.event_id)).where(col(model.consumer_group) == group,
                                             col(model.event_id).in_(list(event_ids)))
    return set((await session.exec(stmt)).all())


async def prune_processed(session: AsyncSession, model: type[ProcessedEventBase],
                          older_than: datetime) -> int:
    """Deletes markers older than any redelivery can be (past the stream's retention); returns how many."""
    result: Any = await session.execute(delete(model).where(col(model.processed_at) < older_than))
    return int(result.rowcount or 0)


def record_processed(session: AsyncSession, model: type[ProcessedEventBase], group: str, event_id: str,
                     event_type: str) -> None:
    """Adds the marker to the handler's transaction; a concurrent duplicate fails on the unique constraint at
    commit, rolls back its effects and is redelivered, then skipped by `already_processed`."""
    session.add(model(consumer_group=group, event_id=event_id, event_type=event_type))
