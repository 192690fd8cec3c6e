"""The auth subgraph's request context: the shared one plus the caller's address and one unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import strawberry

from libs.graphql.context import Context
from subgraphs.auth.errors import CommitFirst
from subgraphs.auth.repository import AuthRepository
from subgraphs.auth.resources import AuthResources
from subgraphs.auth.service.common import ClientInfo


class AuthContext(Context[AuthResources]):
    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AuthRepository]:
        """The request's one commit point: commits when the block succeeds, rolls back on any error."""
        async with self.resources.sessions() as session:
            try:
                yield AuthRepository(session)
                await session.commit()
                self.resources.relay.wake()  # this change's events go out now, not at the next poll
            except CommitFirst:
                await session.commit()
                raise
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AuthRepository]:
        async with self.resources.sessions() as session:
            yield AuthRepository(session)

    def client(self) -> ClientInfo:
        request = getattr(self, "request", None)
        if request is None:
            return ClientInfo()
        ip = request.client.host if request.client else None
        trusted = self.resources.settings.trust_forwarded_for
        forwarded = request.headers.get("x-forwarded-for") if trusted else None
        if forwarded and forwarded.split(",")[-1].strip():
            # The router appends the caller's address: the right-most entry is the one it saw.
            return ClientInfo(ip=forwarded.split(",")[-1].strip()[:64], ip_from_proxy=True,
                              user_agent=request.headers.get("user-agent", "")[:200])
        return ClientInfo(ip=ip, user_agent=request.headers.get("user-agent", "")[:200])


Info = strawberry.Info[AuthContext, None]
