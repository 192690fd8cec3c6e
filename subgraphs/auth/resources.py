"""What the auth subgraph opens at start: its database (migrated), Redis, the authenticator, the adapters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.auth.keys import local_verification_keys
from libs.auth.revocation import Revocations
from libs.auth.tokens import Authenticator
from libs.config import Settings
from libs.db.migrations import upgrade
from libs.db.sql import create_engine, ensure_database, session_factory
from libs.events import EventPublisher, OutboxRelay
from libs.redis import create_redis
from subgraphs.auth.adapters.mail import Mailer
from subgraphs.auth.adapters.sms import SmsVerifier
from subgraphs.auth.adapters.social import configured_providers
from subgraphs.auth.demo import seed_demo_accounts
from subgraphs.auth.models import AuthOutbox
from subgraphs.auth.passwords import Passwords
from subgraphs.auth.secretbox import SecretBox
from subgraphs.auth.service.common import AuthDeps
from subgraphs.auth.settings import AuthSettings
from subgraphs.auth.stores import LoginThrottle, OneTimeState, Quota

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class AuthResources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    authenticator: Authenticator
    deps: AuthDeps
    relay: OutboxRelay

    async def ready(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await self.redis.ping()
        return {"database": "ok", "redis": "ok"}


def build_deps(settings: Settings, auth: AuthSettings, redis: Redis, http: httpx.AsyncClient) -> AuthDeps:
    sms = SmsVerifier(auth, http) if auth.twilio_verify_service_sid and auth.twilio_account_sid else None
    return AuthDeps(
        settings=settings,
        auth=auth,
        redis=redis,
        passwords=Passwords(time_cost=auth.password_time_cost, memory_kib=auth.password_memory_kib,
                            parallelism=auth.password_parallelism, production=settings.env == "prod"),
        secrets=SecretBox.from_settings(settings, auth.secrets_key),
        revocations=Revocations(settings, redis),
        throttle=LoginThrottle(settings, auth, redis),
        quota=Quota(settings, redis),
        challenges=OneTimeState(settings, redis, "challenge"),
        social_states=OneTimeState(settings, redis, "oauth"),
        mailer=Mailer(auth, show_undelivered=settings.env == "dev"),
        sms=sms,
        social=configured_providers(auth, http),
    )


@asynccontextmanager
async def resources(settings: Settings, auth: AuthSettings | None = None) -> AsyncIterator[AuthResources]:
    auth = auth or AuthSettings()
    url = settings.sql_url("auth")
    await ensure_database(url)
    engine = create_engine(url)
    redis = create_redis(settings.redis_url)
    http = httpx.AsyncClient(timeout=10.0)
    # The signer verifies its own tokens without fetching its own JWKS.
    own_keys = local_verification_keys(settings, include_signing=True)
    authenticator = Authenticator(settings, redis=redis, http=http, keys=own_keys)
    deps = build_deps(settings, auth, redis, http)
    try:
        await upgrade(engine, MIGRATIONS)
        sessions = session_factory(engine)
        if settings.env == "dev":
            await seed_demo_accounts(sessions, deps)
        relay = OutboxRelay(sessions, AuthOutbox, EventPublisher(redis, settings), interval_s=0.5)
        stop = asyncio.Event()
        relay_task = asyncio.create_task(relay.run(stop))
        try:
            yield AuthResources(settings=settings, engine=engine, sessions=sessions, redis=redis,
                                authenticator=authenticator, deps=deps, relay=relay)
        finally:
            stop.set()
            await asyncio.wait({relay_task}, timeout=10)
    finally:
        await deps.mailer.drain()
        await http.aclose()
        await redis.aclose()
        await engine.dispose()
