"""What the data subgraph opens at start: its database (migrated), Redis, the event publisher, its data keys
(the first one created on a fresh database) and the export-link signer. Its workers (worker.py) are built from
these, by the app or by `manpasik worker data`."""

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
from libs.crypto import DataKeys
from libs.db.migrations import migrated_engine
from libs.db.sql import session_factory
from libs.db.uow import Transactions
from libs.events import EventPublisher, lag_checks
from libs.events.streams import AUDIT_STREAM, INTEGRITY_STREAM
from libs.redis import create_redis
from subgraphs.data.links import ExportLinks, derive_key
from subgraphs.data.repository import DataRepository
from subgraphs.data.service import CONSUMER_GROUP, DataDeps, KeyService
from subgraphs.data.settings import DataSettings

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class DataResources:
    settings: Settings
    own: DataSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]  # for the outbox relay; everything else goes through `db`
    redis: Redis
    authenticator: Authenticator
    publisher: EventPublisher
    db: Transactions[DataRepository]
    deps: DataDeps

    async def ready(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await self.redis.ping()
        backlog = await lag_checks(
            self.redis,
            self.settings,
            [(s, CONSUMER_GROUP) for s in [*self.own.streams(), AUDIT_STREAM, INTEGRITY_STREAM]],
        )
        return {"database": "ok", "redis": "ok", **backlog}


@asynccontextmanager
async def open_resources(settings: Settings, own: DataSettings | None = None) -> AsyncIterator[DataResources]:
    own = own or DataSettings()
    own.refuse_dev_kek(settings.env)
    keks = own.keks()
    async with AsyncExitStack() as stack:
        engine = await stack.enter_async_context(migrated_engine(settings.sql_url(own.database), MIGRATIONS))
        redis = create_redis(settings.redis_url)
        stack.push_async_callback(redis.aclose)
        authenticator = Authenticator(settings, redis=redis)
        stack.push_async_callback(authenticator.aclose)
        sessions = session_factory(engine)
        links = ExportLinks(own.public_url, own.export_url_ttl_s, derive_key(keks.keys[keks.active_id]))
        deps = DataDeps(settings=settings, own=own, keys=DataKeys(keks), links=links)
        db = Transactions(sessions, DataRepository)
        async with db.write() as repo:
            await KeyService(repo, deps).ensure_key()
        async with db.read() as repo:
            await KeyService(repo, deps).sync()
        yield DataResources(
            settings=settings,
            own=own,
            engine=engine,
            sessions=sessions,
            redis=redis,
            authenticator=authenticator,
            publisher=EventPublisher(redis, settings),
            db=db,
            deps=deps,
        )
