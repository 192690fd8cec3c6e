"""Backups: an admin starts one, it completes encrypted and checksummed; `manpasik restore` brings a backup
back into empty stores, and every row and document is equal to the source's; a restore never overwrites."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from sqlalchemy import MetaData, select, text

from libs.backup import MongoStore, RestoreRefused, SqlStore, write_backup
from libs.config import Settings
from libs.db.sql import create_engine
from libs.testing.graphql import error_codes
from manpasik.restore import restore
from subgraphs.data.settings import DataSettings
from subgraphs.measurement.settings import MeasurementSettings
from tests.subgraphs.data.conftest import RESTORED, Stack, eventually, new_user
from tests.subgraphs.data.test_exports_and_access import chained_all, ready_export

START = "mutation { startBackup { id status startedAt } }"
BACKUPS = (
    "query($first: Int!) { backups(first: $first) { id status startedAt finishedAt sizeBytes checksum } }"
)


async def sql_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            meta = MetaData()
            await conn.run_sync(meta.reflect)
            out = {}
            for table in meta.sorted_tables:
                rows = (await conn.execute(select(table))).all()
                out[table.name] = sorted((tuple(r) for r in rows), key=repr)
            return out
    finally:
        await engine.dispose()


async def mongo_docs(url: str, database: str) -> dict[str, list[dict[str, Any]]]:
    client: AsyncMongoClient[Any] = AsyncMongoClient(url)
    try:
        db = client[database]
        return {
            name: await db[name].find({}, sort=[("_id", 1)]).to_list()
            for name in sorted(await db.list_collection_names())
        }
    finally:
        await client.close()


async def quiet(stack: Stack) -> bool | None:
    async with stack.data.engine.connect() as conn:
        unpublished = await conn.scalar(text("SELECT count(*) FROM data_outbox WHERE published_at IS NULL"))
        pending = await conn.scalar(text("SELECT count(*) FROM data_exports WHERE status = 'PENDING'"))
    return True if unpublished == 0 and pending == 0 else None


async def test_backup_restore_round_trip_is_equal(stack: Stack, data_own: DataSettings) -> None:
    owner = new_user()
    for v in (80.0, 95.5, 130.0):
        await stack.record(owner, value=v)
    await stack.record(
        owner,
        value=None,
        type_="BLOOD_PRESSURE",
        unit="mm[Hg]",
        components=[{"code": "SYSTOLIC", "value": 121}, {"code": "DIASTOLIC", "value": 79}],
    )
    await eventually(lambda: chained_all(stack, owner, 4))
    await ready_export(stack, owner, "FHIR_JSON")
    await eventually(lambda: quiet(stack))

    s: Settings = stack.settings
    data_url = s.sql_url(data_own.database)
    m_db = s.database_name(MeasurementSettings().database)
    result = await write_backup(
        sql=[SqlStore("data", data_url)],
        mongo=[MongoStore("measurement", s.mongodb_url or "", m_db)],
        directory=data_own.backup_dir,
        keks=data_own.keks(),
    )
    source_sql, source_docs = await sql_rows(data_url), await mongo_docs(s.mongodb_url or "", m_db)
    raw = result.path.read_bytes()
    assert b"data_blocks" not in raw and owner.encode() not in raw  # encrypted, names included

    target = s.model_copy(update={"db_suffix": s.db_suffix + RESTORED})
    counts = await restore(target, result.path, checksum=result.checksum, data=data_own)
    assert counts == result.counts
    restored_sql = await sql_rows(target.sql_url(data_own.database))
    restored_docs = await mongo_docs(
        s.mongodb_url or "", target.database_name(MeasurementSettings().database)
    )
    assert restored_sql == source_sql
    # The running measurement relay renews its lease every 0.2 s: only its expiry may have moved since.
    for docs in (restored_docs, source_docs):
        for lease in docs["leases"]:
            lease.pop("until")
    assert restored_docs == source_docs
    assert len(source_sql["data_blocks"]) >= 4 and len(source_docs["measurements"]) >= 4

    # Into stores that are not empty: refused, nothing touched.
    with pytest.raises(RestoreRefused):
        await restore(target, result.path, data=data_own)
    assert await sql_rows(target.sql_url(data_own.database)) == source_sql
    # A file that is not the one named by its checksum: refused.
    tampered = Path(str(result.path) + ".x")
    await asyncio.to_thread(tampered.write_bytes, raw[:-1] + bytes([raw[-1] ^ 1]))
    with pytest.raises(RestoreRefused):
        await restore(target, tampered, checksum=result.checksum, data=data_own)


async def test_an_admin_starts_a_backup_and_sees_it_complete(stack: Stack) -> None:
    admin = new_user()
    assert error_codes(await stack.as_user(new_user(), START, roles=("SUPPORT",))) == ["FORBIDDEN"]
    assert error_codes(await stack.as_user(new_user(), BACKUPS, {"first": 5})) == ["FORBIDDEN"]
    started = await stack.as_user(admin, START, roles=("ADMIN",))
    assert "errors" not in started, started
    backup_id = started["data"]["startBackup"]["id"]

    async def completed() -> dict[str, Any] | None:
        result = await stack.as_user(admin, BACKUPS, {"first": 10}, roles=("ADMIN",))
        found = [b for b in result["data"]["backups"] if b["id"] == backup_id]
        return found[0] if found and found[0]["status"] in ("COMPLETED", "FAILED") else None

    backup = await eventually(completed, wait_s=60)
    assert backup["status"] == "COMPLETED", backup
    assert backup["checksum"].startswith("sha256:") and len(backup["checksum"]) == 71
    assert backup["sizeBytes"] > 0 and backup["finishedAt"] is not None
