"""The `manpasik` command's own verbs (the router's are tested with the router)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from libs.cli import available_subgraphs
from libs.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def _manpasik(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "libs.cli", *args],
        cwd=ROOT,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_subgraphs_of_this_checkout_are_found_in_port_order() -> None:
    found = available_subgraphs()
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
