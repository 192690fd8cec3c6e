"""SQLModel on PostgreSQL and SQLite from the same code: a database per subgraph, migrations, one commit."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from libs.config import Settings
from libs.db.migrations import upgrade
from libs.db.sql import create_engine, drop_database, ensure_database, session_factory, unit_of_work

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
    url = s.sql_url("admin")
    await ensure_database(url)
    engine = create_engine(url)
    try:
        await upgrade(engine, migrations_dir)
        await upgrade(engine, migrations_dir)  # idempotent at head
        sessions = session_factory(engine)
        async with unit_of_work(sessions) as session:
            await session.exec(text("INSERT INTO note (body) VALUES ('kept')"))  # type: ignore[call-overload]
        with pytest.raises(IntegrityError):
            async with unit_of_work(sessions) as session:
                await session.exec(text("INSERT INTO note (body) VALUES ('rolled back')"))  # type: ignore[call-overload]
                await session.exec(text("INSERT INTO note (body) VALUES ('kept')"))  # type: ignore[call-overload]
        async with sessions() as session:
            rows = (await session.exec(text("SELECT body FROM note ORDER BY id"))).all()  # type: ignore[call-overload]
        assert [r[0] for r in rows] == ["kept"]
    finally:
        await engine.dispose()
        await drop_database(url)
