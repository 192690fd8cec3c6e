"""SQLModel on PostgreSQL and SQLite from the same code: a database per subgraph, migrations, one commit."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.config import Settings
from libs.db.migrations import upgrade
from libs.db.sql import create_engine, drop_database, ensure_database, session_factory
from libs.db.uow import Transactions

ENV_PY = """
from sqlalchemy import MetaData
from libs.db.migrations import run_env
run_env(MetaData())
"""
REVISION = """
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None
import sqlalchemy as sa
from alembic import op

def upgrade():
    op.create_table("note", sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.String(50),
                    nullable=False, unique=True))

def downgrade():
    op.drop_table("note")
"""


def _session(session: AsyncSession) -> AsyncSession:  # units of work over the bare session
    return session


@pytest.fixture
def migrations_dir(tmp_path: Path) -> Path:
    d = tmp_path / "migrations"
    (d / "versions").mkdir(parents=True)
    (d / "env.py").write_text(textwrap.dedent(ENV_PY))
    (d / "versions" / "0001_note.py").write_text(REVISION)
    (d / "script.py.mako").write_text("")
    return d


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_migrate_then_commit_or_roll_back(
    backend: str, settings: Settings, migrations_dir: Path, tmp_path: Path
) -> None:
    s = (
        settings
        if backend == "postgresql"
        else settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{tmp_path}"})
    )
    url = s.sql_url("mps_libtest")
    await ensure_database(url)
    engine = create_engine(url)
    try:
        await upgrade(engine, migrations_dir)
        await upgrade(engine, migrations_dir)  # idempotent at head
        sessions = session_factory(engine)
        async with Transactions(sessions, _session).write() as session:
            await session.exec(text("INSERT INTO note (body) VALUES ('kept')"))  # type: ignore[call-overload]
        with pytest.raises(IntegrityError):
            async with Transactions(sessions, _session).write() as session:
                await session.exec(text("INSERT INTO note (body) VALUES ('rolled back')"))  # type: ignore[call-overload]
                await session.exec(text("INSERT INTO note (body) VALUES ('kept')"))  # type: ignore[call-overload]
        async with sessions() as session:
            rows = (await session.exec(text("SELECT body FROM note ORDER BY id"))).all()  # type: ignore[call-overload]
        assert [r[0] for r in rows] == ["kept"]
    finally:
        await engine.dispose()
        await drop_database(url)


async def test_a_connection_that_died_while_idle_is_replaced_before_use(
    settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without pool_pre_ping on every checkout, idle connections are still pinged (and replaced if dead)."""
    import libs.db.sql

    monkeypatch.setattr(libs.db.sql, "PING_IDLE_S", 0.05)
    url = settings.sql_url("mps_libtest")
    await ensure_database(url)
    engine, killer = create_engine(url, pool_size=1), create_engine(url)
    try:
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with killer.connect() as conn:  # the server drops it while it sits in the pool
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await asyncio.sleep(0.1)
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid
    finally:
        await engine.dispose()
        await killer.dispose()
        await drop_database(url)
