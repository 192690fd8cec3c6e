"""What the admin subgraph opens at start: its database (migrated), Redis, and the HTTP client that asks the
router and the subgraphs for their health. Its workers (worker.py) are built from these."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.auth.tokens import Authenticator
from libs.config import Settings
from libs.db.migrations import migrated_engine
from libs.db.sql import session_factory
from libs.db.uow import Transactions
from libs.events import lag_checks
from libs.redis import create_redis
from libs.time import zone
from subgraphs.admin.health import HealthProbe
from subgraphs.admin.repository import AdminRepository
from subgraphs.admin.service import CONSUMER_GROUP, AdminDeps
from subgraphs.admin.settings import AdminSettings
from subgraphs.admin.streams import READ_STREAMS

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class AdminResources:
    settings: Settings
    own: AdminSettings
    engine: AsyncEngine
    redis: Redis
    authenticator: Authenticator
    http: httpx.AsyncClient
    db: Transactions[AdminRepository]
    deps: AdminDeps

    @property
    def probe(self) -> HealthProbe:
        # Built per call: the URLs are settings, which the dev stack may fill in after start.
        return HealthProbe(self.http, self.own.router_url, self.own.subgraph_urls, self.own.health_timeout_s)

    async def ready(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await self.redis.ping()
        backlog = await lag_checks(self.redis, self.settings, [(s, CONSUMER_GROUP) for s in READ_STREAMS])
        return {"database": "ok", "redis": "ok", **backlog}


@asynccontextmanager
async def open_resources(settings: Settings,
                         own: AdminSettings | None = None) -> AsyncIterator[AdminResources]:
    """The stores and clients alone (the app, a worker process or a test builds on these)."""
    own = own or AdminSettings()
    async with AsyncExitStack() as stack:
        engine = await stack.enter_async_context(migrated_engine(settings.sql_url(own.database), MIGRATIONS))
        redis = create_redis(settings.redis_url)
        stack.push_async_callback(redis.aclose)
        http = await stack.enter_async_context(httpx.AsyncClient())
        yield AdminResources(
            settings=settings, own=own, engine=engine, redis=redis,
            authenticator=Authenticator(settings, redis=redis), http=http,
            db=Transactions(session_factory(engine), AdminRepository),
            deps=AdminDeps(zone(settings.default_time_zone)),
        )
