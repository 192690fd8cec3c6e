"""Writing and restoring a backup archive (see the package docstring)."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
import os
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import bson
from pymongo import AsyncMongoClient, IndexModel
from sqlalchemy import MetaData, Table, delete, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from libs.backup.codec import decode, encode
from libs.crypto import KeyWrapper, decrypt_file, encrypt_file
from libs.db.sql import create_engine, ensure_database

FORMAT = 1
VERSION_TABLE = "alembic_version"
INSERT_BATCH = 500


@dataclass(frozen=True)
class SqlStore:
    name: str  # the subgraph
    url: str


@dataclass(frozen=True)
class MongoStore:
    name: str
    url: str
    database: str


@dataclass(frozen=True)
class SqlTarget:
    url: str
    # Brings an empty database to an Alembic revision (the subgraph's own migrations).
    migrate: Callable[[AsyncEngine, str], Awaitable[None]]


@dataclass(frozen=True)
class MongoTarget:
    url: str
    database: str


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int
    checksum: str  # sha256:<hex> of the encrypted file
    counts: dict[str, int]


class _Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


class RestoreRefused(Exception):
    pass


def _line(out: _Sink, obj: dict[str, Any]) -> None:
    out.write(json.dumps(obj, separators=(",", ":")).encode() + b"\n")


def checksum(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return f"sha256:{h.hexdigest()}"


async def _snapshot(conn: AsyncConnection) -> None:
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))


async def _dump_sql(store: SqlStore, out: _Sink, counts: dict[str, int]) -> None:
    engine = create_engine(store.url)
    try:
        async with engine.connect() as conn, conn.begin():
            await _snapshot(conn)
            meta = MetaData()
            await conn.run_sync(meta.reflect)
            revision = None
            if VERSION_TABLE in meta.tables:
                revision = await conn.scalar(select(meta.tables[VERSION_TABLE].c.version_num))
            tables = [t for t in meta.sorted_tables if t.name != VERSION_TABLE]
            _line(
                out,
                {
                    "sql": store.name,
                    "revision": revision,
                    "tables": {t.name: [c.name for c in t.columns] for t in tables},
                },
            )
            for table in tables:
                n = 0
                result = await conn.stream(select(table))
                async for row in result:
                    _line(out, {"t": [store.name, table.name], "r": [encode(v) for v in row]})
                    n += 1
                counts[f"{store.name}.{table.name}"] = n
    finally:
        await engine.dispose()


async def _dump_mongo(store: MongoStore, out: _Sink, counts: dict[str, int]) -> None:
    client: AsyncMongoClient[Any] = AsyncMongoClient(store.url, tz_aware=False)
    try:
        db = client[store.database]
        names = sorted(await db.list_collection_names())
        indexes = {}
        for name in names:
            specs = [dict(ix) async for ix in await db[name].list_indexes()]
            indexes[name] = [
                {
                    "key": list(dict(s["key"]).items()),
                    "name": s["name"],
                    "unique": bool(s.get("unique")),
                    "sparse": bool(s.get("sparse")),
                }
                for s in specs
                if s["name"] != "_id_"
            ]
        _line(out, {"mongo": store.name, "collections": indexes})
        for name in names:
            n = 0
            async for doc in db[name].find({}, sort=[("_id", 1)]):
                _line(out, {"c": [store.name, name], "bson": base64.b64encode(bson.encode(doc)).decode()})
                n += 1
            counts[f"{store.name}.{name}"] = n
    finally:
        await client.close()


@contextmanager
def _scratch(directory: Path) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(dir=directory, suffix=".part")
    os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


async def write_backup(
    *, sql: list[SqlStore], mongo: list[MongoStore], directory: Path, keks: KeyWrapper
) -> BackupFile:
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    created = datetime.now(UTC)
    final = directory / f"manpasik-{created.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}.backup"
    with _scratch(directory) as plain:
        with gzip.open(plain, "wb") as out:
            _line(
                out,
                {
                    "backup": FORMAT,
                    "createdAt": created.isoformat(),
                    "sql": [s.name for s in sql],
                    "mongo": [m.name for m in mongo],
                },
            )
            for s in sql:
                await _dump_sql(s, out, counts)
            for m in mongo:
                await _dump_mongo(m, out, counts)
            _line(out, {"end": counts})
        await encrypt_file(plain, final, keks)
    return BackupFile(final, final.stat().st_size, checksum(final), counts)


# -- restore ----------------------------------------------------------------------------------------------


async def _refuse_unless_empty_sql(engine: AsyncEngine, name: str) -> None:
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    if tables:
        raise RestoreRefused(
            f"{name}: the database is not empty ({len(tables)} tables); restore needs an empty one"
        )


async def _fix_sequences(conn: AsyncConnection, table: Table) -> None:
    if conn.dialect.name != "postgresql":
        return
    for column in table.primary_key.columns:
        if column.autoincrement is True or (
            column.autoincrement == "auto" and column.type.python_type is int
        ):
            await conn.execute(
                text(
                    f'SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX("{column.name}"), 1), '
                    f'MAX("{column.name}") IS NOT NULL) FROM "{table.name}"'
                ),
                {"t": f'"{table.name}"', "c": column.name},
            )


class _SqlRestore:
    def __init__(self, name: str, target: SqlTarget, header: dict[str, Any]) -> None:
        self.name, self.target, self.header = name, target, header
        self.engine: AsyncEngine | None = None
        self.tables: dict[str, Table] = {}
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.conn: AsyncConnection | None = None

    async def open(self) -> None:
        await ensure_database(self.target.url)
        self.engine = create_engine(self.target.url)
        await _refuse_unless_empty_sql(self.engine, self.name)
        if self.header["revision"] is not None:
            await self.target.migrate(self.engine, self.header["revision"])
        self.conn = await self.engine.connect()
        await self.conn.begin()
        meta = MetaData()
        await self.conn.run_sync(meta.reflect)
        for tname in self.header["tables"]:
            if tname not in meta.tables:
                raise RestoreRefused(
                    f"{self.name}: table {tname} does not exist at revision {self.header['revision']}"
                )
        # Rows a migration seeded go: the backup holds the state that followed them.
        for table in reversed(meta.sorted_tables):
            if table.name in self.header["tables"]:
                await self.conn.execute(delete(table))
        self.tables = {t.name: t for t in meta.sorted_tables if t.name in self.header["tables"]}

    async def add(self, table: str, values: list[Any]) -> None:
        columns = self.header["tables"][table]
        batch = self.pending.setdefault(table, [])
        batch.append(dict(zip(columns, map(decode, values), strict=True)))
        if len(batch) >= INSERT_BATCH:
            await self._flush(table)

    async def _flush(self, table: str) -> None:
        rows, self.pending[table] = self.pending.get(table, []), []
        if rows and self.conn is not None:
            await self.conn.execute(self.tables[table].insert(), rows)

    async def close(self) -> None:
        assert self.conn is not None and self.engine is not None
        # Archive order is the source's dependency order: flush parents before children.
        for name in self.tables:
            await self._flush(name)
            await _fix_sequences(self.conn, self.tables[name])
        await self.conn.commit()
        await self.conn.close()
        await self.engine.dispose()


async def _open_mongo(name: str, target: MongoTarget, header: dict[str, Any]) -> AsyncMongoClient[Any]:
    client: AsyncMongoClient[Any] = AsyncMongoClient(target.url, tz_aware=False)
    db = client[target.database]
    for coll in await db.list_collection_names():
        if await db[coll].estimated_document_count():
            await client.close()
            raise RestoreRefused(f"{name}: collection {coll} is not empty; restore needs an empty database")
    existing = set(await db.list_collection_names())
    for coll, specs in header["collections"].items():
        if coll not in existing:
            await db.create_collection(coll)
        models = [
            IndexModel([(k, v) for k, v in s["key"]], name=s["name"], unique=s["unique"], sparse=s["sparse"])
            for s in specs
        ]
        if models:
            await db[coll].create_indexes(models)
    return client


async def restore_backup(
    path: Path,
    keks: KeyWrapper,
    *,
    sql: dict[str, SqlTarget],
    mongo: dict[str, MongoTarget],
    checksum_expected: str | None = None,
) -> dict[str, int]:
    """Restores every store of the backup into its (empty) target; returns the rows/documents per table."""
    if checksum_expected is not None and checksum(path) != checksum_expected:
        raise RestoreRefused("the backup file does not match its checksum")
    counts: dict[str, int] = {}
    with _scratch(path.parent if os.access(path.parent, os.W_OK) else Path(tempfile.gettempdir())) as plain:
        await decrypt_file(path, plain, keks)
        sql_open: dict[str, _SqlRestore] = {}
        mongo_open: dict[str, tuple[AsyncMongoClient[Any], str]] = {}
        mongo_batch: dict[tuple[str, str], list[Any]] = {}
        try:
            with gzip.open(plain, "rb") as fin:
                first = json.loads(fin.readline())
                if first.get("backup") != FORMAT:
                    raise RestoreRefused("not a ManPaSik backup of a known format")
                missing = [n for n in first["sql"] if n not in sql] + [
                    n for n in first["mongo"] if n not in mongo
                ]
                if missing:
                    raise RestoreRefused(f"no target for the backed-up stores {', '.join(missing)}")
                expected: dict[str, int] = {}
                for raw in fin:
                    line = json.loads(raw)
                    if "sql" in line:
                        counts.update({f"{line['sql']}.{t}": 0 for t in line["tables"]})
                        restore = _SqlRestore(line["sql"], sql[line["sql"]], line)
                        await restore.open()
                        sql_open[line["sql"]] = restore
                    elif "t" in line:
                        store, table = line["t"]
                        await sql_open[store].add(table, line["r"])
                        counts[f"{store}.{table}"] = counts.get(f"{store}.{table}", 0) + 1
                    elif "mongo" in line:
                        counts.update({f"{line['mongo']}.{c}": 0 for c in line["collections"]})
                        target = mongo[line["mongo"]]
                        mongo_open[line["mongo"]] = (
                            await _open_mongo(line["mongo"], target, line),
                            target.database,
                        )
                    elif "c" in line:
                        store, coll = line["c"]
                        batch = mongo_batch.setdefault((store, coll), [])
                        batch.append(bson.decode(base64.b64decode(line["bson"])))
                        counts[f"{store}.{coll}"] = counts.get(f"{store}.{coll}", 0) + 1
                        if len(batch) >= INSERT_BATCH:
                            await _insert_docs(mongo_open, mongo_batch, store, coll)
                    elif "end" in line:
                        expected = line["end"]
            for store, coll in list(mongo_batch):
                await _insert_docs(mongo_open, mongo_batch, store, coll)
            for restore in sql_open.values():
                await restore.close()
            for name, table_count in expected.items():
                if counts.get(name, 0) != table_count:
                    raise RestoreRefused(f"{name}: restored {counts.get(name, 0)} of {table_count}")
        finally:
            for client, _ in mongo_open.values():
                await client.close()
    return counts


async def _insert_docs(
    opened: dict[str, tuple[AsyncMongoClient[Any], str]],
    batches: dict[tuple[str, str], list[Any]],
    store: str,
    coll: str,
) -> None:
    docs, batches[(store, coll)] = batches.get((store, coll), []), []
    if docs:
        client, database = opened[store]
        await client[database][coll].insert_many(docs, ordered=True)


__all__ = [
    "BackupFile",
    "MongoStore",
    "MongoTarget",
    "RestoreRefused",
    "SqlStore",
    "SqlTarget",
    "restore_backup",
    "write_backup",
]
