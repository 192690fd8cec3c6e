"""What the translation subgraph opens at start: its database (migrated), Redis, the outbox relay (each commit
wakes it; it runs in TranslationWorkers) and, when machine translation is on, the HTTP client for DeepL."""

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
from libs.events import EventPublisher, OutboxRelay, lag_checks
from libs.events.streams import TRANSLATION_STREAM
from libs.i18n import Catalogue
from libs.redis import create_redis
from subgraphs.translation.deepl import DeepL
from subgraphs.translation.models import TranslationOutbox
from subgraphs.translation.repository import TranslationRepository
from subgraphs.translation.service import SNAPSHOT_GROUP, TranslationDeps
from subgraphs.translation.settings import TranslationSettings

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class TranslationResources:
    settings: Settings
    own: TranslationSettings
    engine: AsyncEngine
    redis: Redis
    authenticator: Authenticator
    relay: OutboxRelay  # run by TranslationWorkers; each commit wakes it
    db: Transactions[TranslationRepository]
    deps: TranslationDeps

    async def ready(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await self.redis.ping()
        backlog = await lag_checks(self.redis, self.settings, [(TRANSLATION_STREAM, SNAPSHOT_GROUP)])
        return {"database": "ok", "redis": "ok", **backlog}


@asynccontextmanager
async def open_resources(settings: Settings, own: TranslationSettings | None = None,
                         ) -> AsyncIterator[TranslationResources]:
    """The stores and clients alone (the app, a worker process or a test builds on these)."""
    own = own or TranslationSettings()
    async with AsyncExitStack() as stack:
        engine = await stack.enter_async_context(migrated_engine(settings.sql_url(own.database), MIGRATIONS))
        redis = create_redis(settings.redis_url)
        stack.push_async_callback(redis.aclose)
        sessions = session_factory(engine)
        relay = OutboxRelay(sessions, TranslationOutbox, EventPublisher(redis, settings), interval_s=0.5)
        authenticator = Authenticator(settings, redis=redis)
        stack.push_async_callback(authenticator.aclose)
        mt = None
        if own.mt_provider == "deepl" and own.deepl_api_key is not None:
            http = await stack.enter_async_context(httpx.AsyncClient())
            mt = DeepL(http, own.deepl_api_url, own.deepl_api_key.get_secret_value(), own.mt_timeout_s)
        yield TranslationResources(
            settings=settings, own=own, engine=engine, redis=redis, authenticator=authenticator, relay=relay,
            db=Transactions(sessions, TranslationRepository, after_commit=[relay.wake]),
            deps=TranslationDeps(catalogue=Catalogue.seeded(), mt=mt, fuzzy_min=own.tm_fuzzy_min),
        )
