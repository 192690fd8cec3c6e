"""Async SQLModel engines for PostgreSQL (asyncpg) and SQLite (aiosqlite) from the same code."""

from __future__ import annotations

import time

from sqlalchemy import event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # WAL lets readers run beside the writer; foreign keys are off by default in SQLite.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
    _ping_when_idle(engine, PING_IDLE_S)
    return engine


# A connection idle this long is pinged before use. pool_pre_ping pinged on every checkout: one round trip
# more per transaction on the event chain's hot path, for connections used milliseconds before.
PING_IDLE_S = 5.0


def _ping_when_idle(engine: AsyncEngine, idle_s: float) -> None:
    """pool_pre_ping for connections that sat idle (the usual victims of a server restart or an idle
    timeout); one used a moment ago is trusted, and if it did die meanwhile, that one operation fails and the
    pool drops it (SQLAlchemy invalidates on disconnect errors), as it would without any ping."""

    @event.listens_for(engine.sync_engine, "connect")
    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(dbapi_conn, record):  # type: ignore[no-untyped-def]
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_conn, record, proxy):  # type: ignore[no-untyped-def]
        if time.monotonic() - record.info.get("checked_in", 0.0) < idle_s:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as e:
            raise exc.DisconnectionError("idle connection failed its ping") from e
        if not alive:
            raise exc.DisconnectionError("idle connection failed its ping")  # the pool reconnects


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def ensure_database(url: str) -> None:
    """Creates a PostgreSQL database if it is missing (dev and test; prod databases are provisioned)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        return
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        await admin.dispose()


async def drop_database(url: str) -> None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        return
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        await admin.dispose()
