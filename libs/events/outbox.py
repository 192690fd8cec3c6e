"""Transactional outbox for SQL sources: the event row commits with the business change, a relay publishes it.

    class CoachingOutbox(OutboxBase, table=True):
        __tablename__ = "coaching_outbox"

    async with unit_of_work(sessions) as session:
        ...  # the change
        add_to_outbox(session, CoachingOutbox, "coaching", event)

    relay = OutboxRelay(sessions, CoachingOutbox, publisher)   # in the lifespan: await relay.run(stop)
    relay.wake()                                               # after a commit, to publish at once

A crash between XADD and marking the row republishes the same event id, which consumers deduplicate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import JSON, DateTime, delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.events.envelope import CloudEvent
from libs.events.publisher import EventPublisher

log = logging.getLogger("manpasik.events.outbox")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class OutboxBase(SQLModel):
    """Mixin for a subgraph's outbox table (give it a per-subgraph `__tablename__`)."""

    seq: int | None = Field(default=None, primary_key=True)  # publication order
    stream: str = Field(max_length=100)
    event_id: str = Field(max_length=200, unique=True)
    event_type: str = Field(max_length=200)
    # sa_type, not sa_column: a Column object would be shared by every table built from this mixin.
    envelope: dict[str, Any] = Field(sa_type=JSON, nullable=False)
    created_at: datetime = Field(default_factory=_utcnow, sa_type=DateTime(timezone=True))
    published_at: datetime | None = Field(default=None, index=True,
                                          sa_type=DateTime(timezone=True))
    attempts: int = 0


def add_to_outbox(session: AsyncSession, model: type[OutboxBase], stream: str,
                  event: CloudEvent) -> OutboxBase:
    row = model(stream=stream, event_id=event.id, event_type=event.type, envelope=event.to_dict())
    session.add(row)
    return row


class OutboxRelay:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], model: type[OutboxBase],
                 publisher: EventPublisher, *, batch_size: int = 100, interval_s: float = 1.0,
                 keep_published: timedelta = timedelta(days=7), prune_every_s: float = 600.0) -> None:
        self.sessions = sessions
        self.model = model
        self.publisher = publisher
        self.batch_size = batch_size
        self.interval_s = interval_s
        # Published rows stay a while for audits and replays, then go: the table must not grow forever.
        self.keep_published = keep_published
        self.prune_every_s = prune_every_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def relay_once(self) -> int:
        """Publishes unpublished rows in order; returns how many were published."""
        m = self.model
        async with self.sessions() as session:
            stmt = (select(m).where(m.published_at.is_(None))  # type: ignore[union-attr]
                    .order_by(m.seq).limit(self.batch_size))  # type: ignore[arg-type]
            if session.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)  # several relays may run; each row goes once
            rows = list((await session.execute(stmt)).scalars())
            published = 0
            for row in rows:
                try:
                    await self.publisher.publish(row.stream, CloudEvent.from_dict(row.envelope))
                except (RedisError, OSError):
                    row.attempts += 1
                    break  # keep the order: later rows wait for this one
                row.published_at = _utcnow()
                published += 1
            await session.commit()
            return published

    async def prune(self, now: datetime | None = None) -> int:
        """Deletes rows published longer than `keep_published` ago; returns how many."""
        cutoff = (now or _utcnow()) - self.keep_published
        async with self.sessions() as session:
            stmt = delete(self.model).where(col(self.model.published_at) < cutoff)
            result: Any = await session.execute(stmt)
            await session.commit()
            return int(result.rowcount or 0)

    async def pending(self) -> int:
        async with self.sessions() as session:
            stmt = select(func.count()).select_from(self.model).where(
                self.model.published_at.is_(None))  # type: ignore[union-attr]
            return int((await session.execute(stmt)).scalar_one())

    async def run(self, stop: asyncio.Event) -> None:
        last_prune = 0.0
        while not stop.is_set():
            # Cleared before the pass: a wake() that arrives during it must trigger the next pass at once.
            self._wake.clear()
            try:
                n = await self.relay_once()
                if time.monotonic() - last_prune > self.prune_every_s:
                    last_prune = time.monotonic()
                    await self.prune()
            except Exception:  # the database may be briefly away; the rows stay and are tried again
                log.exception("outbox relay pass failed")
                n = 0
            if n >= self.batch_size:
                continue
            waiters = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
            _, rest = await asyncio.wait(waiters, timeout=self.interval_s,
                                         return_when=asyncio.FIRST_COMPLETED)
            for t in rest:
                t.cancel()
