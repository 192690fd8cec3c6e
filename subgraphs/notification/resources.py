"""What the notification subgraph opens at start: database (migrated), Redis, live hub, FCM, its workers."""

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
from libs.events.streams import NOTIFICATION_STREAM
from libs.redis import create_redis
from subgraphs.notification.fcm import FcmClient, ServiceAccount
from subgraphs.notification.service import NotificationService

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class NotificationResources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    authenticator: Authenticator
    publisher: EventPublisher
    live: LiveHub
    service: NotificationService
    fcm: FcmClient | None  # None: push is off (no service account configured)

    async def ready(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await self.redis.ping()
        streams = [s.strip() for s in self.settings.notification_streams.split(",") if s.strip()]
        groups = [*((s, "notification") for s in streams), (NOTIFICATION_STREAM, "notification-live")]
        checks = {"database": "ok", "redis": "ok", "push": "fcm" if self.fcm else "off"}
        return {**checks, **await lag_checks(self.redis, self.settings, groups)}


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[NotificationResources]:
    url = settings.sql_url("notification")
    await ensure_database(url)
    engine = create_engine(url)
    redis = create_redis(settings.redis_url)
    live = LiveHub(redis, settings)
    fcm = None
    if settings.fcm_service_account_file is not None:
        account = ServiceAccount.from_file(settings.fcm_service_account_file)
        fcm = FcmClient(account, endpoint=settings.fcm_endpoint)
    try:
        await upgrade(engine, MIGRATIONS)
        sessions = session_factory(engine)
        yield NotificationResources(
            settings=settings, engine=engine, sessions=sessions, redis=redis,
            authenticator=Authenticator(settings, redis=redis), publisher=EventPublisher(redis, settings),
            live=live, service=NotificationService(settings, sessions), fcm=fcm,
        )
    finally:
        if fcm is not None:
            await fcm.aclose()
        await live.close()
        await redis.aclose()
        await engine.dispose()


@asynccontextmanager
async def resources(settings: Settings) -> AsyncIterator[NotificationResources]:
    from subgraphs.notification.worker import NotificationWorkers  # the worker module imports this one

    async with AsyncExitStack() as stack:
        res = await stack.enter_async_context(open_resources(settings))
        if settings.notification_workers:
            await stack.enter_async_context(NotificationWorkers(res).running())
        yield res
