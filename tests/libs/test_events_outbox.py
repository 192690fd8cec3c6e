"""Transactional outbox and SQL processed-event markers on SQLite and the real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.config import Settings
from libs.db.sql import create_engine, ensure_database, session_factory
from libs.db.uow import Transactions
from libs.events import (
    CloudEvent,
    EventPublisher,
    OutboxBase,
    OutboxRelay,
    ProcessedEventBase,
    add_to_outbox,
    already_processed,
    record_processed,
)
from libs.events.streams import stream_key
from libs.testing import free_port


def _session(session: AsyncSession) -> AsyncSession:  # units of work over the bare session
    return session


class OutboxRow(OutboxBase, table=True):
    __tablename__ = "libtest_outbox"


class ProcessedRow(ProcessedEventBase, table=True):
    __tablename__ = "libtest_processed_events"


@pytest.fixture(params=["sqlite", "postgresql"])
async def sessions(request: pytest.FixtureRequest, settings: Settings,
                   tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/outbox.db"
    else:
        url = settings.sql_url("mps_coaching")  # dropped by the session fixture; libtest_ tables are ours
        await ensure_database(url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        for model in (OutboxRow, ProcessedRow):
            await conn.run_sync(lambda c, m=model: m.__table__.drop(c, checkfirst=True))  # type: ignore[attr-defined]
            await conn.run_sync(lambda c, m=model: m.__table__.create(c))  # type: ignore[attr-defined]
    yield session_factory(engine)
    await engine.dispose()


async def test_only_committed_rows_are_published_in_order(
    sessions: async_sessionmaker[AsyncSession], redis: Redis, settings: Settings,
) -> None:
    stream = f"t{uuid.uuid4().hex[:10]}"
    events = [CloudEvent.new("test.happened", "/tests", None, {"n": i}) for i in range(3)]
    with pytest.raises(RuntimeError):
        async with Transactions(sessions, _session).write() as session:
            add_to_outbox(session, OutboxRow, stream, CloudEvent.new("test.rolled_back", "/tests", None, {}))
            raise RuntimeError("the business change failed")
    async with Transactions(sessions, _session).write() as session:
        for e in events:
            add_to_outbox(session, OutboxRow, stream, e)

    relay = OutboxRelay(sessions, OutboxRow, EventPublisher(redis, settings))
    assert await relay.pending() == 3
    assert await relay.relay_once() == 3
    assert await relay.relay_once() == 0
    assert await relay.pending() == 0
    entries = await redis.xrange(stream_key(settings, stream))
    assert [CloudEvent.from_json(f["event"]) for _, f in entries] == events


async def test_published_rows_are_pruned_after_the_retention(
    sessions: async_sessionmaker[AsyncSession], redis: Redis, settings: Settings,
) -> None:
    stream = f"t{uuid.uuid4().hex[:10]}"
    async with Transactions(sessions, _session).write() as session:
        for _ in range(2):
            add_to_outbox(session, OutboxRow, stream, CloudEvent.new("test.happened", "/tests", None, {}))
    relay = OutboxRelay(sessions, OutboxRow, EventPublisher(redis, settings),
                        keep_published=timedelta(days=7))
    assert await relay.relay_once() == 2
    async with Transactions(sessions, _session).write() as session:
        add_to_outbox(session, OutboxRow, stream, CloudEvent.new("test.unpublished", "/tests", None, {}))
    assert await relay.prune() == 0  # just published: kept
    assert await relay.prune(now=datetime.now(UTC) + timedelta(days=8)) == 2
    assert await relay.pending() == 1  # never prunes what is not yet published


async def test_rows_wait_while_redis_is_down(
    sessions: async_sessionmaker[AsyncSession], redis: Redis, settings: Settings,
) -> None:
    stream = f"t{uuid.uuid4().hex[:10]}"
    e = CloudEvent.new("test.happened", "/tests", None, {})
    async with Transactions(sessions, _session).write() as session:
        add_to_outbox(session, OutboxRow, stream, e)
    down = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", decode_responses=True)
    try:
        assert await OutboxRelay(sessions, OutboxRow, EventPublisher(down, settings)).relay_once() == 0
    finally:
        await down.aclose()
    assert await OutboxRelay(sessions, OutboxRow, EventPublisher(redis, settings)).relay_once() == 1
    [(_, fields)] = await redis.xrange(stream_key(settings, stream))
    assert fields["id"] == e.id


async def test_processed_marker_commits_with_the_handler_and_refuses_a_duplicate(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    event_id = str(uuid.uuid4())
    async with Transactions(sessions, _session).write() as session:
        assert not await already_processed(session, ProcessedRow, "g", event_id)
        record_processed(session, ProcessedRow, "g", event_id, "test.happened")
    async with Transactions(sessions, _session).write() as session:
        assert await already_processed(session, ProcessedRow, "g", event_id)
        assert not await already_processed(session, ProcessedRow, "other-group", event_id)
    # A concurrent duplicate that checked before the first commit fails at its own commit.
    with pytest.raises(exc.IntegrityError):
        async with Transactions(sessions, _session).write() as session:
            record_processed(session, ProcessedRow, "g", event_id, "test.happened")


async def test_publish_now_is_marked_by_the_relay_and_not_published_twice(
    sessions: async_sessionmaker[AsyncSession], redis: Redis, settings: Settings,
) -> None:
    stream = f"t{uuid.uuid4().hex[:10]}"
    async with Transactions(sessions, _session).write() as session:
        rows = [add_to_outbox(session, OutboxRow, stream, CloudEvent.new("test.happened", "/tests", None,
                                                                         {"n": i})) for i in range(2)]
    relay = OutboxRelay(sessions, OutboxRow, EventPublisher(redis, settings), grace_s=60)
    assert await relay.publish_now(rows)
    entries = await redis.xrange(stream_key(settings, stream))
    assert [f["id"] for _, f in entries] == [r.event_id for r in rows]
    assert await relay.pending() == 2  # on the stream, not yet marked: a crash now means a republish
    assert await relay.relay_once() == 0  # marks them; publishes nothing again
    assert await relay.pending() == 0
    assert len(await redis.xrange(stream_key(settings, stream))) == 2


async def test_a_failed_publish_now_hands_the_rows_to_the_relay_in_order(
    sessions: async_sessionmaker[AsyncSession], redis: Redis, settings: Settings,
) -> None:
    stream = f"t{uuid.uuid4().hex[:10]}"

    async def commit(n: int) -> list[OutboxBase]:
        async with Transactions(sessions, _session).write() as session:
            return [add_to_outbox(session, OutboxRow, stream,
                                  CloudEvent.new("test.happened", "/tests", None, {"n": n}))]

    down = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", decode_responses=True)
    relay = OutboxRelay(sessions, OutboxRow, EventPublisher(down, settings), grace_s=60)
    try:
        assert not await relay.publish_now(await commit(0))
    finally:
        await down.aclose()
    relay.publisher = EventPublisher(redis, settings)  # Redis is back
    assert not await relay.publish_now(await commit(1))  # the relay catches up first: order is kept
    assert await relay.relay_once() == 2  # despite the grace: these rows have nobody else to publish them
    assert await relay.relay_once() == 0  # caught up: the fast path is open again
    assert await relay.publish_now(await commit(2))
    entries = await redis.xrange(stream_key(settings, stream))
    assert [CloudEvent.from_json(f["event"]).data["n"] for _, f in entries] == [0, 1, 2]
