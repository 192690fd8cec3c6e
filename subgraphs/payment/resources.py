"""What the payment subgraph opens at start: its database (migrated), Redis, the outbox relay, the payment
provider (Toss Payments over httpx). Its workers (worker.py) are built from these."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.auth.tokens import Authenticator
from libs.config import Settings, SettingsError
from libs.db.migrations import migrated_engine
from libs.db.sql import session_factory
from libs.db.uow import Transactions
from libs.events import EventPublisher, OutboxRelay
from libs.redis import create_redis
from libs.resilience import provider_breaker
from subgraphs.payment.domain import Dunning
from subgraphs.payment.models import PaymentOutbox
from subgraphs.payment.providers.toss import TossPayments
from subgraphs.payment.repository import PaymentRepository
from subgraphs.payment.service import PaymentDeps
from subgraphs.payment.settings import TOSS_API_URL, PaymentSettings

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class PaymentResources:
    settings: Settings
    own: PaymentSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    authenticator: Authenticator
    relay: OutboxRelay  # run by PaymentWorkers; each commit wakes it
    db: Transactions[PaymentRepository]
    deps: PaymentDeps
    # Called when a webhook arrives (the workers' wake-ups, when they run in this process).
    on_webhook: list[Callable[[], None]] = field(default_factory=list)

    def webhook_wake(self) -> None:
        for hook in self.on_webhook:
            hook()

    async def ready(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await self.redis.ping()
        return {"database": "ok", "redis": "ok", "outboxPending": str(await self.relay.pending())}


def check_prod(settings: Settings, own: PaymentSettings) -> None:
    if settings.env != "prod":
        return
    problems = []
    if not own.toss_secret_key.startswith("live_sk_"):
        problems.append("PAYMENT_TOSS_SECRET_KEY must be a live secret key (live_sk_...)")
    if own.toss_api_url.rstrip("/") != TOSS_API_URL:
        problems.append(f"PAYMENT_TOSS_API_URL must be {TOSS_API_URL}")
    if problems:
        raise SettingsError("refusing to start in prod: " + "; ".join(problems))


@asynccontextmanager
async def open_resources(
    settings: Settings,
    own: PaymentSettings | None = None,
) -> AsyncIterator[PaymentResources]:
    """The stores and clients alone (the app, a worker process or a test builds on these)."""
    own = own or PaymentSettings()
    check_prod(settings, own)
    async with AsyncExitStack() as stack:
        engine = await stack.enter_async_context(migrated_engine(settings.sql_url(own.database), MIGRATIONS))
        redis = create_redis(settings.redis_url)
        stack.push_async_callback(redis.aclose)
        http = await stack.enter_async_context(httpx.AsyncClient())
        sessions = session_factory(engine)
        relay = OutboxRelay(sessions, PaymentOutbox, EventPublisher(redis, settings), interval_s=0.5)
        provider = TossPayments(
            own.toss_api_url,
            own.toss_secret_key,
            http,
            timeout_s=own.toss_timeout_s,
            breaker=provider_breaker(settings, "toss"),
        )
        deps = PaymentDeps(
            provider=provider,
            dunning=Dunning(tuple(own.dunning_schedule_hours())),
            order_ttl=timedelta(seconds=own.order_ttl_s),
            reconcile_after=timedelta(seconds=own.reconcile_after_s),
        )
        yield PaymentResources(
            settings=settings,
            own=own,
            engine=engine,
            sessions=sessions,
            redis=redis,
            authenticator=Authenticator(settings, redis=redis),
            relay=relay,
            db=Transactions(sessions, PaymentRepository, after_commit=[relay.wake]),
            deps=deps,
        )
