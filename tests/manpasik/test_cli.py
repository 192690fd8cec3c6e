"""The `manpasik` command's own verbs (the router's are tested with the router)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from libs.config import Settings
from manpasik import registry

ROOT = Path(__file__).resolve().parents[2]


def _manpasik(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "manpasik", *args],
        cwd=ROOT,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_registered_subgraphs_are_listed_in_port_order() -> None:
    found = registry.names()
    assert found[:2] == ["auth", "measurement"]
    assert set(found) >= {"auth", "measurement", "coaching", "notification"}


async def test_migrate_brings_every_sql_subgraph_database_to_head(settings: Settings) -> None:
    env = {
        **os.environ,
        "MANPASIK_ENV": "test",
        "DATABASE_URL": settings.database_url or "",
        "DB_SUFFIX": settings.db_suffix + "cli",
    }
    result = _manpasik("migrate", "auth", "coaching", env=env)
    assert result.returncode == 0, result.stderr
    assert f"auth: manpasik_auth{settings.db_suffix}cli at head" in result.stdout
    conn = await asyncpg.connect(host="127.0.0.1", user="postgres", database="postgres")
    try:
        for name in (f"manpasik_auth{settings.db_suffix}cli", f"mps_coaching{settings.db_suffix}cli"):
            db = await asyncpg.connect(host="127.0.0.1", user="postgres", database=name)
            try:
                assert await db.fetchval("SELECT count(*) FROM alembic_version") == 1
            finally:
                await db.close()
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def test_unknown_subgraph_is_refused_with_the_choices() -> None:
    result = _manpasik("subgraph", "payments")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "auth" in result.stderr


def test_every_subgraph_runs_its_workers_alone_and_only_ones_with_a_store_migrate() -> None:
    assert registry.with_workers() == [s.name for s in registry.SUBGRAPHS]
    result = _manpasik("worker", "payments")
    assert result.returncode == 2
    assert all(name in result.stderr for name in registry.with_workers()), result.stderr
    result = _manpasik("migrate", "payments")
    assert result.returncode == 2 and "nothing to migrate in: payments" in result.stderr
