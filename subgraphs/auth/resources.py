"""What the auth subgraph opens at start: its database (migrated), Redis, the authenticator, the adapters.

Stores and clients only: the outbox relay is built here (every commit wakes it) but runs in `AuthWorkers`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.auth.keys import local_verification_keys
from libs.auth.revocation import Revocations
from libs.auth.tokens import Authenticator
from libs.config import Settings
from libs.db.migrations import upgrade
from libs.db.sql import create_engine, ensure_database, session_factory
from libs.db.uow import Transactions
from libs.events import EventPublisher, OutboxRelay
from libs.redis import create_redis
from libs.resilience import provider_breaker
from subgraphs.auth.adapters.mail import Mailer
from subgraphs.auth.adapters.sms import SmsVerifier
from subgraphs.auth.adapters.social import configured_providers
from subgraphs.auth.demo import seed_demo_accounts
from subgraphs.auth.models import AuthOutbox
from subgraphs.auth.passwords import Passwords
from subgraphs.auth.repository import AuthRepository
from subgraphs.auth.secretbox import SecretBox
from subgraphs.auth.service.common import AuthDeps
from subgraphs.auth.settings import AuthSettings
from subgraphs.auth.stores import LoginThrottle, OneTimeState, Quota

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class AuthResources:
    settings: Settings
    own: AuthSettings
    engine: AsyncEngine
    redis: Redis
    authenticator: Authenticator
    db: Transactions[AuthRepository]  # the units of work; each commit wakes the relay
    deps: AuthDeps
    relay: OutboxRelay  # run by AuthWorkers

    async def ready(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await self.redis.ping()
        return {"database": "ok", "redis": "ok"}


def build_deps(settings: Settings, own: AuthSettings, redis: Redis, http: httpx.AsyncClient) -> AuthDeps:
    sms = (
        SmsVerifier(own, http, provider_breaker(settings, "twilio"))
        if own.twilio_verify_service_sid and own.twilio_account_sid
        else None
    )
    return AuthDeps(
        settings=settings,
        auth=own,
        redis=redis,
        passwords=Passwords(time_cost=own.password_time_cost, memory_kib=own.password_memory_kib,
                            parallelism=own.password_parallelism, production=settings.env == "prod"),
        secrets=SecretBox.from_settings(settings, own.secrets_key),
        revocations=Revocations(settings, redis),
        throttle=LoginThrottle(settings, own, redis),
        quota=Quota(settings, redis),
        challenges=OneTimeState(settings, redis, "challenge"),
        social_states=OneTimeState(settings, redis, "oauth"),
        mailer=Mailer(
            own, show_undelivered=settings.env == "dev", breaker=provider_breaker(settings, "smtp")
        ),
        sms=sms,
        social=configured_providers(own, http),
    )


@asynccontextmanager
async def open_resources(settings: Settings, own: AuthSettings | None = None) -> AsyncIterator[AuthResources]:
    own = own or AuthSettings()
    url = settings.sql_url(own.database)
    await ensure_database(url)
    engine = create_engine(url)
    redis = create_redis(settings.redis_url)
    http = httpx.AsyncClient(timeout=10.0)
    # The signer verifies its own tokens without fetching its own JWKS.
    own_keys = local_verification_keys(settings, include_signing=True)
    authenticator = Authenticator(settings, redis=redis, http=http, keys=own_keys)
    deps = build_deps(settings, own, redis, http)
    try:
        await upgrade(engine, MIGRATIONS)
        sessions = session_factory(engine)
        relay = OutboxRelay(sessions, AuthOutbox, EventPublisher(redis, settings), interval_s=0.5)
        db = Transactions(sessions, AuthRepository, after_commit=[relay.wake])
        if settings.env == "dev":
            await seed_demo_accounts(db, deps)
        yield AuthResources(settings=settings, own=own, engine=engine, redis=redis,
                            authenticator=authenticator, db=db, deps=deps, relay=relay)
    finally:
        await deps.mailer.drain()
        await http.aclose()
        await redis.aclose()
        await engine.dispose()
