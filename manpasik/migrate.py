"""`manpasik migrate`: brings each SQL subgraph's own database to its Alembic head, and applies the data
migrations of each Mongo subgraph (`subgraphs.<name>.data_migrations:migrate_database`)."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from libs.config import Settings
from libs.db.migrations import upgrade
from libs.db.sql import create_engine, ensure_database
from manpasik.registry import SUBGRAPHS, subgraph


async def migrate(settings: Settings, names: Sequence[str] = ()) -> list[str]:
    """Migrates the named subgraphs (default: every one with a store to migrate); returns one line per
    database (or data migration)."""
    rows = [subgraph(n) for n in names] if names else list(SUBGRAPHS)
    done = []
    for row in rows:
        if "mongo" in row.stores:  # indexes are kept by Beanie; data migrations are the subgraph's own
            module = importlib.import_module(f"{row.package}.data_migrations")
            run = cast("Callable[[Settings, Any], Awaitable[list[str]]]", module.migrate_database)
            done += await run(settings, row.own())
        if not row.sql:
            continue
        database = row.own().database
        url = settings.sql_url(database)
        await ensure_database(url)
        engine = create_engine(url)
        try:
            await upgrade(engine, row.migrations)
        finally:
            await engine.dispose()
        done.append(f"{row.name}: {settings.database_name(database)} at head")
    return done
