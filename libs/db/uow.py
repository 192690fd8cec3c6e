"""Units of work: the one commit point of a request or an event, for every store.

    db = Transactions(sessions, CoachingRepository, after_commit=[relay.wake])
    async with db.write() as repo:   # commits on success, rolls back on error, then after-commit hooks
        await CoachingService(repo, deps).update_profile(...)
    async with db.read() as repo:       # no commit: reads only
        ...

Resolvers reach these through the request context (`info.context.unit_of_work()` / `read()`), event workers
through their resources; services only ever see the repository. An `AppError` with `commits = True` is an
answer that keeps what was written before it (the unit commits, then re-raises).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.errors import AppError

Repo = TypeVar("Repo")
Repo_co = TypeVar("Repo_co", covariant=True)


class UnitsOfWork(Protocol[Repo_co]):
    """What a request context and a worker need of a store: a writing and a reading unit of work."""

    def write(self) -> AbstractAsyncContextManager[Repo_co]: ...

    def read(self) -> AbstractAsyncContextManager[Repo_co]: ...


class SessionRepository:
    """Base of a SQL subgraph's repository (`Transactions(sessions, CoachingRepository)` builds one per unit
    of work): the unit's session, which mixins such as EventLedger query too."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class Transactions(Generic[Repo]):
    """SQL units of work: each opens a session, hands the subgraph's repository over it, and commits once."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], repository: Callable[[AsyncSession], Repo],
                 *, after_commit: Sequence[Callable[[], None]] = ()) -> None:
        self.sessions = sessions
        self.repository = repository
        self.after_commit = list(after_commit)  # e.g. waking the outbox relay: this change's events go now

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Repo]:
        async with self.sessions() as session:
            try:
                yield self.repository(session)
                await session.commit()
            except AppError as e:
                if not e.commits:
                    await session.rollback()
                    raise
                await session.commit()
                self._committed()
                raise
            except BaseException:
                await session.rollback()
                raise
        self._committed()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Repo]:
        async with self.sessions() as session:
            yield self.repository(session)

    def _committed(self) -> None:
        for hook in self.after_commit:
            hook()


class NoTransactions(Generic[Repo]):
    """Stores without multi-document transactions (MongoDB here): the same interface over one repository
    object; each write is atomic on its own and the store's outbox (pending events) does the rest."""

    def __init__(self, repository: Repo, *, after_commit: Sequence[Callable[[], None]] = ()) -> None:
        self.repository = repository
        self.after_commit = list(after_commit)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Repo]:
        yield self.repository
        for hook in self.after_commit:
            hook()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Repo]:
        yield self.repository
