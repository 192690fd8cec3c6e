"""Units of work on the real PostgreSQL and on SQLite: one commit, rollback on error, after-commit hooks only
after a commit, and AppErrors that keep what was written (`commits = True`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.config import Settings
from libs.db.sql import create_engine, drop_database, ensure_database, session_factory
from libs.db.uow import NoTransactions, Transactions
from libs.errors import BadUserInput, Conflict


class UowNote(SQLModel, table=True):
    __tablename__ = "libtest_uow_note"
    id: str = Field(primary_key=True, max_length=50)


class NoteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, note_id: str) -> None:
        self.session.add(UowNote(id=note_id))

    async def ids(self) -> set[str]:
        return set((await self.session.execute(select(UowNote.id))).scalars())  # type: ignore[arg-type]


class Recorded(Conflict):
    commits = True


@pytest.fixture(params=["sqlite", "postgresql"])
async def sessions(request: pytest.FixtureRequest, settings: Settings,
                   tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = (f"sqlite+aiosqlite:///{tmp_path}/uow.db" if request.param == "sqlite"
           else settings.sql_url("mps_libtest_uow"))
    await ensure_database(url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        table = UowNote.__table__  # type: ignore[attr-defined]
        await conn.run_sync(lambda c: UowNote.metadata.create_all(c, tables=[table]))
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()
        await drop_database(url)


async def test_write_commits_once_then_runs_hooks(sessions: async_sessionmaker[AsyncSession]) -> None:
    seen: list[set[str]] = []
    db: Transactions[NoteRepository] = Transactions(sessions, NoteRepository)

    async def visible() -> set[str]:
        async with db.read() as repo:
            return await repo.ids()

    hooks_ran: list[str] = []
    db.after_commit.append(lambda: hooks_ran.append("woken"))
    async with db.write() as repo:
        repo.add("a")
        repo.add("b")
        seen.append(await visible())  # another session: nothing committed yet
        assert hooks_ran == []
    assert seen == [set()]
    assert await visible() == {"a", "b"}
    assert hooks_ran == ["woken"]


async def test_error_rolls_back_and_skips_hooks(sessions: async_sessionmaker[AsyncSession]) -> None:
    hooks_ran: list[str] = []
    db = Transactions(sessions, NoteRepository, after_commit=[lambda: hooks_ran.append("woken")])
    with pytest.raises(BadUserInput):
        async with db.write() as repo:
            repo.add("lost")
            raise BadUserInput("no", field="x")
    with pytest.raises(RuntimeError):
        async with db.write() as repo:
            repo.add("lost-too")
            raise RuntimeError("boom")
    async with db.read() as repo:
        assert await repo.ids() == set()
    assert hooks_ran == []


async def test_an_answer_that_commits_keeps_what_was_written(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    hooks_ran: list[str] = []
    db = Transactions(sessions, NoteRepository, after_commit=[lambda: hooks_ran.append("woken")])
    with pytest.raises(Recorded):
        async with db.write() as repo:
            repo.add("kept")
            raise Recorded("reuse detected")
    async with db.read() as repo:
        assert await repo.ids() == {"kept"}
    assert hooks_ran == ["woken"]


async def test_read_never_commits(sessions: async_sessionmaker[AsyncSession]) -> None:
    db = Transactions(sessions, NoteRepository)
    async with db.read() as repo:
        repo.add("not-committed")
    async with db.read() as repo:
        assert await repo.ids() == set()


async def test_no_transactions_hands_the_same_repository_and_runs_hooks() -> None:
    repo = object()
    woken: list[int] = []
    db = NoTransactions(repo, after_commit=[lambda: woken.append(1)])
    async with db.read() as got:
        assert got is repo
    assert woken == []
    async with db.write() as got:
        assert got is repo
    assert woken == [1]
    with pytest.raises(ValueError):
        async with db.write():
            raise ValueError("x")
    assert woken == [1]
