"""Alembic migrations per subgraph, run programmatically on the subgraph's own async engine.

Each subgraph keeps `migrations/` (env.py + versions/). Its env.py calls `run_env(metadata)`; the app calls
`upgrade(engine, migrations_dir)` in its lifespan, so a fresh database is usable at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.db.sql import create_engine, ensure_database


def _config(migrations_dir: Path, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("version_table", "alembic_version")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


async def upgrade(engine: AsyncEngine, migrations_dir: Path, revision: str = "head") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync_conn: command.upgrade(_config(migrations_dir, sync_conn), revision))


@asynccontextmanager
async def migrated_engine(url: str, migrations_dir: Path) -> AsyncIterator[AsyncEngine]:
    """A subgraph's own SQL database for as long as the block runs: created when missing (dev and test),
    migrated to head, its engine disposed at the end (what every SQL subgraph's `open_resources` opens)."""
    await ensure_database(url)
    engine = create_engine(url)
    try:
        await upgrade(engine, migrations_dir)
        yield engine
    finally:
        await engine.dispose()


def run_env(metadata: MetaData) -> None:
    """The body of every subgraph's migrations/env.py (online mode, on the connection we pass in)."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through libs.db.migrations.upgrade (or `manpasik migrate`)")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def revision(migrations_dir: Path, url_sync_connection: Connection, message: str) -> None:
    """Autogenerates a revision against a database at head (used by `manpasik makemigration`)."""
    command.revision(_config(migrations_dir, url_sync_connection), message=message, autogenerate=True)
