"""What the notification subgraph opens at start: its database (migrated), Redis, the live hub, the FCM
client. Stores and clients only: the background work is in worker.py (NotificationWorkers)."""

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
from libs.db.migrations import migrated_engine
from libs.db.sql import session_factory
from libs.db.uow import Transactions
from libs.events import EventPublisher, LiveHub, lag_checks
from libs.events.streams import NOTIFICATION_STREAM
from libs.i18n import Catalogue
from libs.redis import create_redis
from libs.resilience import provider_breaker
from subgraphs.notification.events import LIVE_GROUP
from subgraphs.notification.fcm import FcmClient, ServiceAccount
from subgraphs.notification.repository import NotificationRepository
from subgraphs.notification.service import CONSUMER_GROUP, NotificationDeps
from subgraphs.notification.settings import NotificationSettings

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class NotificationResources:
    settings: Settings
    own: NotificationSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    db: Transactions[NotificationRepository]
    deps: NotificationDeps
    redis: Redis
    authenticator: Authenticator
    publisher: EventPublisher
    live: LiveHub
    fcm: FcmClient | None  # None: push is off (no service account configured)

    async def ready(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await self.redis.ping()
        groups = [*((s, CONSUMER_GROUP) for s in self.own.stream_names()), (NOTIFICATION_STREAM, LIVE_GROUP)]
        checks = {"database": "ok", "redis": "ok", "push": "fcm" if self.fcm else "off"}
        return {**checks, **await lag_checks(self.redis, self.settings, groups)}


@asynccontextmanager
async def open_resources(settings: Settings,
                         own: NotificationSettings | None = None) -> AsyncIterator[NotificationResources]:
    own = own or NotificationSettings()
    fcm = None
    if own.fcm_service_account_file is not None:
        fcm = FcmClient(ServiceAccount.from_file(own.fcm_service_account_file), endpoint=own.fcm_endpoint,
                        breaker=provider_breaker(settings, "fcm"))
    redis = create_redis(settings.redis_url)
    live = LiveHub(redis, settings)
    try:
        async with migrated_engine(settings.sql_url(own.database), MIGRATIONS) as engine:
            sessions = session_factory(engine)
            yield NotificationResources(
                settings=settings, own=own, engine=engine, sessions=sessions,
                db=Transactions(sessions, NotificationRepository),
                deps=NotificationDeps(default_locale=settings.default_locale,
                                      default_time_zone=settings.default_time_zone,
                                      catalogue=Catalogue.seeded()),
                redis=redis, authenticator=Authenticator(settings, redis=redis),
                publisher=EventPublisher(redis, settings), live=live, fcm=fcm,
            )
    finally:
        if fcm is not None:
            await fcm.aclose()
        await live.close()
        await redis.aclose()
