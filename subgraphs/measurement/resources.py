"""Stores and clients of the measurement subgraph, opened in the app's lifespan (or by its worker process)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from beanie import init_beanie
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from libs.auth.tokens import Authenticator
from libs.config import Settings
from libs.db.mongo import connect_mongo
from libs.db.uow import NoTransactions
from libs.redis import create_redis
from subgraphs.measurement.data_migrations import run_data_migrations
from subgraphs.measurement.demo import demo_keys, seed_demo_lots
from subgraphs.measurement.events import RedisEventSink
from subgraphs.measurement.models import DOCUMENTS
from subgraphs.measurement.repository import MeasurementRepository
from subgraphs.measurement.service import MeasurementDeps, MeasurementService
from subgraphs.measurement.settings import MeasurementSettings


@dataclass
class MeasurementResources:
    settings: Settings
    own: MeasurementSettings
    mongo: AsyncMongoClient[Any]
    redis: Redis
    events_redis: Redis  # the event bus (`redis` unless MEASUREMENT_EVENTS_REDIS_URL is set)
    authenticator: Authenticator
    db: NoTransactions[MeasurementRepository]
    deps: MeasurementDeps

    async def ready(self) -> dict[str, str]:
        await self.mongo.admin.command("ping")
        try:
            await asyncio.wait_for(self.events_redis.ping(), 2)
            redis = "ok"
        except Exception:
            # Measurements are still stored (events wait in the outbox), so Redis down is degraded, not down.
            redis = "unreachable: events deferred"
        async with self.db.read() as repo:
            pending = await repo.measurements.count_pending_events()
        return {"mongo": "ok", "redis": redis, "pendingEvents": str(pending)}


# Beanie binds the document classes to one database per process. Only tests run several measurement apps in
# one process (the e2e stack beside a module's own app): the newest binding wins, and when that app stops the
# binding of the app started before it is restored, so the older app never talks through a closed client.
_bindings: list[tuple[AsyncMongoClient[Any], str]] = []


async def _unbind(mongo: AsyncMongoClient[Any]) -> None:
    index = next(i for i, (client, _) in enumerate(_bindings) if client is mongo)
    was_current = index == len(_bindings) - 1
    del _bindings[index]
    if was_current and _bindings:
        client, database = _bindings[-1]
        await init_beanie(database=client[database], document_models=list(DOCUMENTS))


@asynccontextmanager
async def open_resources(
    settings: Settings, own: MeasurementSettings | None = None
) -> AsyncIterator[MeasurementResources]:
    """Opens MongoDB (Beanie), Redis and the event bus; applies pending data migrations (data_migrations.py);
    seeds the demo cartridge lots in dev. No background work: the pending-event relay is `MeasurementWorkers`
    (worker.py)."""
    own = own or MeasurementSettings()
    if not settings.mongodb_url:
        raise RuntimeError("MONGODB_URL is not set (the dev stack starts nx-27017 and sets it)")
    sun_keys = own.sun_keys()
    if settings.env == "dev":
        sun_keys = {**demo_keys(), **sun_keys}
    database = settings.database_name(own.database)
    mongo = await connect_mongo(settings.mongodb_url, database, DOCUMENTS)
    _bindings.append((mongo, database))
    redis = create_redis(settings.redis_url)
    events_redis = create_redis(own.events_redis_url) if own.events_redis_url else redis
    authenticator = Authenticator(settings, redis=redis)
    try:
        db = NoTransactions(MeasurementRepository())
        deps = MeasurementDeps(events=RedisEventSink(events_redis, settings), sun_keys=sun_keys)
        async with db.write() as repo:  # stored readings brought to the catalogue (one lookup once done)
            await run_data_migrations(repo)
        if settings.env == "dev":
            async with db.write() as repo:
                await seed_demo_lots(MeasurementService(repo, deps))
        yield MeasurementResources(settings, own, mongo, redis, events_redis, authenticator, db, deps)
    finally:
        await authenticator.aclose()
        if events_redis is not redis:
            await events_redis.aclose()
        await redis.aclose()
        await _unbind(mongo)
        await mongo.close()
