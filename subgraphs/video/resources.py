"""What the video subgraph opens at start: its database (migrated), Redis, the live hub, the LiveKit token
minter. The outbox relay is built here (every commit wakes it) but runs in `VideoWorkers`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.auth.tokens import Authenticator
from libs.config import Settings
from libs.crypto import DataKeys
from libs.db.migrations import migrated_engine
from libs.db.sql import session_factory
from libs.db.uow import Transactions
from libs.events import EventPublisher, LiveHub, OutboxRelay, lag_checks
from libs.events.streams import AUTH_STREAM, CONSULTATION_STREAM, DATA_STREAM
from libs.redis import create_redis
from subgraphs.video.events import LIVE_GROUP
from subgraphs.video.models import VideoOutbox
from subgraphs.video.protection import CHECKS_GROUP
from subgraphs.video.repository import VideoRepository
from subgraphs.video.rooms import RoomTokens
from subgraphs.video.sealing import Sealer
from subgraphs.video.service import AUTH_GROUP, VideoDeps
from subgraphs.video.settings import VideoSettings

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class VideoResources:
    settings: Settings
    own: VideoSettings
    engine: AsyncEngine
    redis: Redis
    authenticator: Authenticator
    live: LiveHub
    relay: OutboxRelay  # run by VideoWorkers
    db: Transactions[VideoRepository]  # the units of work; each commit wakes the relay
    deps: VideoDeps

    async def ready(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await self.redis.ping()
        backlog = await lag_checks(self.redis, self.settings,
                                   [(AUTH_STREAM, AUTH_GROUP), (CONSULTATION_STREAM, LIVE_GROUP),
                                    (DATA_STREAM, CHECKS_GROUP)])
        return {"database": "ok", "redis": "ok", **backlog}


@asynccontextmanager
async def open_resources(settings: Settings, own: VideoSettings | None = None,
                         ) -> AsyncIterator[VideoResources]:
    own = own or VideoSettings()
    own.refuse_unsafe(settings.env)
    async with AsyncExitStack() as stack:
        engine = await stack.enter_async_context(migrated_engine(settings.sql_url(own.database), MIGRATIONS))
        redis = create_redis(settings.redis_url)
        stack.push_async_callback(redis.aclose)
        live = LiveHub(redis, settings)
        stack.push_async_callback(live.close)
        sessions = session_factory(engine)
        relay = OutboxRelay(sessions, VideoOutbox, EventPublisher(redis, settings), interval_s=0.5)
        authenticator = Authenticator(settings, redis=redis)
        stack.push_async_callback(authenticator.aclose)
        rooms = RoomTokens(own.livekit_url, own.livekit_api_key, own.livekit_api_secret,
                           timedelta(seconds=own.token_ttl_s))
        db = Transactions(sessions, VideoRepository, after_commit=[relay.wake])
        sealer = Sealer(DataKeys(own.keks()), db)
        yield VideoResources(
            settings=settings, own=own, engine=engine, redis=redis,
            authenticator=authenticator, live=live, relay=relay, db=db,
            deps=VideoDeps(own=own, rooms=rooms, sealer=sealer, demo_doctors=settings.env == "dev"),
        )
