"""Transactional outbox for SQL sources: the event row commits with the business change, a relay publishes it.

    class CoachingOutbox(OutboxBase, table=True):
        __tablename__ = "coaching_outbox"

    async with db.write() as repo:     # libs.db.uow: the change and its event commit together
        ...  # the change
        add_to_outbox(repo.session, CoachingOutbox, "coaching", event)

    relay = OutboxRelay(sessions, CoachingOutbox, publisher)   # in the lifespan: await relay.run(stop)
    relay.wake()                                               # after a commit, to publish at once
    await relay.publish_now(rows)                              # or: publish the committed rows directly

`publish_now` is the fast path: it publishes rows right after their commit and leaves the marking to the
relay's next pass; with `grace_s` the relay leaves younger rows to it, so it only publishes what the fast
path missed (a crash, Redis away). After a failed fast publish the relay takes over every row, in order,
until it has caught up. A crash between XADD and marking the row republishes the same event id, which
consumers deduplicate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import JSON, DateTime, delete, func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.events.envelope import CloudEvent
from libs.events.publisher import EventPublisher
from libs.polling import PollingLoop
from libs.time import utcnow

log = logging.getLogger("manpasik.events.outbox")


class OutboxBase(SQLModel):
    """Mixin for a subgraph's outbox table (give it a per-subgraph `__tablename__`)."""

    seq: int | None = Field(default=None, primary_key=True)  # publication order
    stream: str = Field(max_length=100)
    event_id: str = Field(max_length=200, unique=True)
    event_type: str = Field(max_length=200)
    # sa_type, not sa_column: a Column object would be shared by every table built from this mixin.
    envelope: dict[str, Any] = Field(sa_type=JSON, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
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
                 keep_published: timedelta = timedelta(days=7), prune_every_s: float = 600.0,
                 grace_s: float = 0.0) -> None:
        self.sessions = sessions
        self.model = model
        self.publisher = publisher
        self.batch_size = batch_size
        self.interval_s = interval_s
        # Published rows stay a while for audits and replays, then go: the table must not grow forever.
        self.keep_published = keep_published
        self.prune_every_s = prune_every_s
        self._loop = PollingLoop(self._pass, interval_s=interval_s, batch_size=batch_size,
                                 name="outbox relay")
        self._last_prune = 0.0
        # Rows younger than this are left to `publish_now` (no double publish in the normal case).
        self.grace = timedelta(seconds=grace_s)
        self._published: list[int] = []  # seqs published by publish_now, marked on the next pass
        # Set when a fast publish failed: rows then go through the relay only, so they keep their order.
        self._degraded = False

    def wake(self) -> None:
        self._loop.wake()

    async def publish_now(self, rows: Sequence[OutboxBase]) -> bool:
        """Publishes rows just committed, in order, in one round trip; True when they are on their streams.

        The rows stay unpublished in the table until the relay's next pass marks them, so a crash here
        only means a republish. False (Redis away, or the relay still catching up): the relay does it.
        """
        if not rows:
            return True
        if self._degraded:
            self.wake()
            return False
        try:
            await self.publisher.publish_many([(r.stream, CloudEvent.from_dict(r.envelope)) for r in rows])
        except (RedisError, OSError) as e:
            log.warning("outbox: %d events not published now (%r); the relay will", len(rows), e)
            self._degraded = True
            self.wake()
            return False
        self._published.extend(r.seq for r in rows if r.seq is not None)
        return True

    async def _mark_published(self) -> None:
        seqs, self._published = self._published, []
        if not seqs:
            return
        try:
            async with self.sessions() as session:
                await session.execute(update(self.model)
                                      .where(col(self.model.seq).in_(seqs),
                                             col(self.model.published_at).is_(None))
                                      .values(published_at=utcnow()))
                await session.commit()
        except BaseException:
            self._published[:0] = seqs  # marked on a later pass (meanwhile grace keeps the relay off them)
            raise

    async def relay_once(self) -> int:
        """Publishes unpublished rows in order; returns how many were published."""
        await self._mark_published()
        m = self.model
        catching_up = self._degraded
        async with self.sessions() as session:
            stmt = (select(m).where(m.published_at.is_(None))  # type: ignore[union-attr]
                    .order_by(m.seq).limit(self.batch_size))  # type: ignore[arg-type]
            if self.grace and not catching_up:
                stmt = stmt.where(col(m.created_at) < utcnow() - self.grace)
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
                row.published_at = utcnow()
                published += 1
            await session.commit()
        if catching_up and not rows:
            self._degraded = False  # nothing is waiting any more: the fast path may publish again
        return published

    async def prune(self, now: datetime | None = None) -> int:
        """Deletes rows published longer than `keep_published` ago; returns how many."""
        cutoff = (now or utcnow()) - self.keep_published
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

    async def _pass(self) -> int:
        n = await self.relay_once()
        if time.monotonic() - self._last_prune > self.prune_every_s:
            self._last_prune = time.monotonic()
            await self.prune()
        return n

    async def run(self, stop: asyncio.Event) -> None:
        await self._loop.run(stop)
