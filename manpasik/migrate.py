"""`manpasik migrate`: brings each SQL subgraph's own database to its Alembic head."""

from __future__ import annotations

from collections.abc import Sequence

from libs.config import Settings
from libs.db.migrations import upgrade
from libs.db.sql import create_engine, ensure_database
from manpasik.registry import SUBGRAPHS, subgraph


async def migrate(settings: Settings, names: Sequence[str] = ()) -> list[str]:
    """Migrates the named subgraphs (default: every SQL one); returns one line per database."""
    rows = [subgraph(n) for n in names] if names else list(SUBGRAPHS)
    done = []
    for row in rows:
        if not row.sql:  # measurement keeps its Mongo indexes itself
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
