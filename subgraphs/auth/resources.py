"""What the auth subgraph opens at start: its database (migrated), Redis, the token authenticator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
from libs.redis import create_redis
from subgraphs.auth.passwords import Passwords
from subgraphs.auth.service.common import AuthDeps

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class AuthResources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    authenticator: Authenticator
    deps: AuthDeps

    async def ready(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await self.redis.ping()
        return {"database": "ok", "redis": "ok"}


@asynccontextmanager
async def resources(settings: Settings) -> AsyncIterator[AuthResources]:
    url = settings.sql_url("auth")
    await ensure_database(url)
    engine = create_engine(url)
    redis = create_redis(settings.redis_url)
    try:
        await upgrade(engine, MIGRATIONS)
        deps = AuthDeps(settings=settings, redis=redis, passwords=Passwords())
        yield AuthResources(settings=settings, engine=engine, sessions=session_factory(engine), redis=redis,
                            authenticator=Authenticator(settings), deps=deps)
    finally:
        await redis.aclose()
        await engine.dispose()
