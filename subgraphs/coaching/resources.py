"""What the coaching subgraph opens at start: its database (migrated), Redis, the live hub, the optional
language model. Its workers (worker.py) are built from these, by the app or by `manpasik worker coaching`."""

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
from libs.db.migrations import migrated_engine
from libs.db.sql import session_factory
from libs.db.uow import Transactions
from libs.events import EventPublisher, LiveHub, lag_checks
from libs.events.streams import AUTH_STREAM, COACHING_STREAM, MEASUREMENT_STREAM
from libs.i18n import Catalogue
from libs.redis import create_redis
from subgraphs.coaching.enrich import MessageEnricher
from subgraphs.coaching.events import LIVE_GROUP
from subgraphs.coaching.repository import CoachingRepository
from subgraphs.coaching.service import CONSUMER_GROUP, CoachingDeps
from subgraphs.coaching.settings import CoachingSettings

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class CoachingResources:
    settings: Settings
    own: CoachingSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]  # for the outbox relay; everything else goes through `db`
    redis: Redis
    authenticator: Authenticator
    publisher: EventPublisher
    live: LiveHub
    db: Transactions[CoachingRepository]
    deps: CoachingDeps

    async def ready(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await self.redis.ping()
        backlog = await lag_checks(self.redis, self.settings,
                                   [(MEASUREMENT_STREAM, CONSUMER_GROUP), (AUTH_STREAM, CONSUMER_GROUP),
                                    (COACHING_STREAM, LIVE_GROUP)])
        return {"database": "ok", "redis": "ok", **backlog}


@asynccontextmanager
async def open_resources(settings: Settings, own: CoachingSettings | None = None,
                         ) -> AsyncIterator[CoachingResources]:
    """The stores and clients alone (the app, a worker process or a test builds on these)."""
    own = own or CoachingSettings()
    async with AsyncExitStack() as stack:
        engine = await stack.enter_async_context(migrated_engine(settings.sql_url(own.database), MIGRATIONS))
        redis = create_redis(settings.redis_url)
        stack.push_async_callback(redis.aclose)
        live = LiveHub(redis, settings)
        stack.push_async_callback(live.close)
        enricher = MessageEnricher(own) if own.llm_url else None
        if enricher is not None:
            stack.push_async_callback(enricher.aclose)
        sessions = session_factory(engine)
        yield CoachingResources(
            settings=settings, own=own, engine=engine, sessions=sessions, redis=redis,
            authenticator=Authenticator(settings, redis=redis), publisher=EventPublisher(redis, settings),
            live=live, db=Transactions(sessions, CoachingRepository),
            deps=CoachingDeps(settings.default_locale, settings.default_time_zone, enricher,
                              Catalogue.seeded()),
        )
