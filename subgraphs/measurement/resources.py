"""Stores and clients of the measurement subgraph, opened in the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
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
from libs.redis import create_redis
from subgraphs.measurement import sun
from subgraphs.measurement.demo import demo_keys, seed_demo_lots
from subgraphs.measurement.events import PendingEventRelay, RedisEventSink
from subgraphs.measurement.models import DOCUMENTS
from subgraphs.measurement.repository import (
    CartridgeRepository,
    DeviceRepository,
    LeaseRepository,
    MeasurementRepository,
)
from subgraphs.measurement.service import MeasurementService

log = logging.getLogger("manpasik.measurement")


def parse_sun_keys(spec: str) -> dict[str, bytes]:
    """`CARTRIDGE_SUN_KEYS="LOT-A:00112233...,LOT-B:..."` -> {lot: 16-byte key}; refuses a malformed entry."""
    keys: dict[str, bytes] = {}
    for entry in filter(None, (e.strip() for e in spec.split(","))):
        lot, sep, hex_key = entry.rpartition(":")
        if not sep or not lot:
            raise ValueError(f"CARTRIDGE_SUN_KEYS entry for {lot or entry[:8]!r} must be lot:hexkey")
        keys[lot.strip()] = sun.parse_key(hex_key.strip())
    return keys


@dataclass
class MeasurementResources:
    authenticator: Authenticator
    mongo: AsyncMongoClient[Any]
    redis: Redis
    events_redis: Redis
    service: MeasurementService
    relay: PendingEventRelay

    async def ready(self) -> dict[str, str]:
        await self.mongo.admin.command("ping")
        try:
            await asyncio.wait_for(self.events_redis.ping(), 2)
            redis = "ok"
        except Exception:
            # Measurements are still stored (events wait in the outbox), so Redis down is degraded, not down.
            redis = "unreachable: events deferred"
        return {
            "mongo": "ok",
            "redis": redis,
            "pendingEvents": str(await self.service.measurements.count_pending_events()),
        }


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
async def resources(
    settings: Settings,
    *,
    relay_interval_s: float = 5.0,
    relay_grace_s: float = 10.0,
    events_redis_url: str | None = None,
) -> AsyncIterator[MeasurementResources]:
    """`events_redis_url`: the event bus when it is not the Redis of REDIS_URL (token revocations)."""
    if not settings.mongodb_url:
        raise RuntimeError("MONGODB_URL is not set (the dev stack starts nx-27017 and sets it)")
    sun_keys = parse_sun_keys(settings.cartridge_sun_keys)
    if settings.env == "dev":
        sun_keys = {**demo_keys(), **sun_keys}
    database = settings.database_name("measurement")
    mongo = await connect_mongo(settings.mongodb_url, database, DOCUMENTS)
    _bindings.append((mongo, database))
    redis = create_redis(settings.redis_url)
    events_redis = create_redis(events_redis_url) if events_redis_url else redis
    authenticator = Authenticator(settings, redis=redis)
    measurements = MeasurementRepository()
    sink = RedisEventSink(events_redis, settings)
    service = MeasurementService(measurements, DeviceRepository(), CartridgeRepository(), sink, sun_keys)
    relay = PendingEventRelay(
        measurements, LeaseRepository(), sink, interval_s=relay_interval_s, grace_s=relay_grace_s
    )
    stop = asyncio.Event()
    relay_task: asyncio.Task[None] | None = None
    try:
        if settings.env == "dev":
            await seed_demo_lots(service)
        relay_task = asyncio.create_task(relay.run(stop), name="measurement-event-relay")
        yield MeasurementResources(authenticator, mongo, redis, events_redis, service, relay)
    finally:
        stop.set()
        if relay_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await relay_task
        await authenticator.aclose()
        if events_redis is not redis:
            await events_redis.aclose()
        await redis.aclose()
        await _unbind(mongo)
        await mongo.close()
