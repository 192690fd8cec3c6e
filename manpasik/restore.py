"""`manpasik restore FILE`: a backup (`startBackup`, libs.backup) back into empty stores. Each SQL database is
brought to the backup's Alembic revision with its subgraph's migrations, then filled; each Mongo database gets
its indexes and documents. Needs the KEK the backup was written under (DATA_KEK) and nothing else, not even
the data subgraph's database (which may be among those being restored)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from libs.backup import MongoTarget, SqlTarget, restore_backup
from libs.config import Settings
from libs.db.migrations import upgrade
from manpasik.registry import SUBGRAPHS, Subgraph
from subgraphs.data.settings import DataSettings


def _migrator(row: Subgraph) -> Callable[[AsyncEngine, str], Awaitable[None]]:
    async def migrate(engine: AsyncEngine, revision: str) -> None:
        await upgrade(engine, row.migrations, revision)

    return migrate


async def restore(
    settings: Settings, path: Path, *, checksum: str | None = None, data: DataSettings | None = None
) -> dict[str, int]:
    """Restores every store of the backup under `settings` (their DB_SUFFIX); returns the counts per table."""
    data = data or DataSettings()
    sql = {
        row.name: SqlTarget(settings.sql_url(row.own().database), _migrator(row))
        for row in SUBGRAPHS
        if row.sql
    }
    mongo = {
        row.name: MongoTarget(settings.mongodb_url or "", settings.database_name(row.own().database))
        for row in SUBGRAPHS
        if "mongo" in row.stores
    }
    return await restore_backup(path, data.keks(), sql=sql, mongo=mongo, checksum_expected=checksum)
