"""What the coaching subgraph opens at start: its database (migrated), Redis, the live hub, its workers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.auth.tokens import Authenticator
from libs.config import Settings
from libs.db.migrations import upgrade
from libs.db.sql import create_engine, ensure_database, session_factory
from libs.events import EventPublisher, LiveHub, lag_checks
from libs.events.streams import COACHING_STREAM, MEASUREMENT_STREAM
from libs.redis import create_redis
from subgraphs.coaching.enrich import MessageEnricher
from subgraphs.coaching.service import CoachingService

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class CoachingResources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    authenticator: Authenticator
    publisher: EventPublisher
    live: LiveHub
    service: CoachingService

    async def ready(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await self.redis.ping()
        groups = [(MEASUREMENT_STREAM, "coaching"), (COACHING_STREAM, "coaching-live")]
        return {"database": "ok", "redis": "ok", **await lag_checks(self.redis, self.settings, groups)}


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[CoachingResources]:
    """The stores and clients alone (a worker process or a test uses these without the GraphQL app)."""
    url = settings.sql_url("coaching")
    await ensure_database(url)
    engine = create_engine(url)
    redis = create_redis(settings.redis_url)
    live = LiveHub(redis, settings)
    enricher = MessageEnricher(settings) if settings.coaching_llm_url else None
    try:
        await upgrade(engine, MIGRATIONS)
        sessions = session_factory(engine)
        yield CoachingResources(
            settings=settings, engine=engine, sessions=sessions, redis=redis,
            authenticator=Authenticator(settings, redis=redis), publisher=EventPublisher(redis, settings),
            live=live, service=CoachingService(settings, sessions, enricher),
        )
    finally:
        if enricher is not None:
            await enricher.aclose()
        await live.close()
        await redis.aclose()
        await engine.dispose()


@asynccontextmanager
async def resources(settings: Settings) -> AsyncIterator[CoachingResources]:
    from subgraphs.coaching.worker import CoachingWorkers  # the worker module imports this one

    async with AsyncExitStack() as stack:
        res = await stack.enter_async_context(open_resources(settings))
        if settings.coaching_workers:
            await stack.enter_async_context(CoachingWorkers(res).running())
        yield res
