"""Streams end when the session they were opened under ends (a logout, a suspension, a password change).

With a token check that can tell (`TokenVerifier.grants` and `.watch`, handed in by whoever starts the
router), every streamed operation is filed under the names its token stands on (opaque to the router:
`manpasik router` uses the token's id and session, `jti:…` / `sid:…`). When the check reports one of them
revoked, each of its streams gets one last result, `{"errors": [{..., "extensions": {"code":
"UNAUTHENTICATED"}}]}` without data, and ends: over graphql-transport-ws and graphql-ws an `error` message
for the operation, over multipart the closing part with that error, over SSE a `next` event with it, then
`complete`. A new operation on the same socket is refused the same way (its token is checked again).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from router.gateway import RequestError
from router.gateway.prepare import gql_error

SESSION_ENDED = "Your session has ended; log in again."
# authorization header -> the names its token stands on, or None when the token is refused
Grants = Callable[[str], Awaitable[frozenset[str] | None]]


def session_ended() -> dict[str, Any]:
    return {"errors": [gql_error(SESSION_ENDED, "UNAUTHENTICATED")]}


class OpenStreams:
    def __init__(self, grants: Grants) -> None:
        self._grants = grants
        self._by_name: dict[str, set[asyncio.Event]] = {}

    def revoked(self, names: frozenset[str]) -> None:
        """The token check's listener: ends every stream standing on one of these names."""
        for name in names:
            for ended in self._by_name.pop(name, ()):
                ended.set()

    def open_count(self) -> int:
        return len({e for held in self._by_name.values() for e in held})

    async def check(self, authorization: str | None) -> frozenset[str]:
        """The names of the token (none without one); raises RequestError when it is refused."""
        if not authorization:
            return frozenset()
        names = await self._grants(authorization)
        if names is None:
            raise RequestError([gql_error(SESSION_ENDED, "UNAUTHENTICATED")], status=401)
        return names

    def bind(
        self, names: frozenset[str], results: AsyncIterator[dict[str, Any]]
    ) -> AsyncIterator[dict[str, Any]]:
        if not names:
            return results
        return self._guarded(names, results)

    async def _guarded(
        self, names: frozenset[str], results: AsyncIterator[dict[str, Any]]
    ) -> AsyncIterator[dict[str, Any]]:
        ended = asyncio.Event()
        for name in names:
            self._by_name.setdefault(name, set()).add(ended)
        it = results.__aiter__()
        waiter = asyncio.ensure_future(ended.wait())
        try:
            while True:
                step: asyncio.Future[dict[str, Any]] = asyncio.ensure_future(it.__anext__())
                await asyncio.wait((step, waiter), return_when=asyncio.FIRST_COMPLETED)
                if not step.done():
                    step.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await step
                    yield session_ended()
                    return
                try:
                    item = step.result()
                except StopAsyncIteration:
                    return
                yield item
        finally:
            waiter.cancel()
            for name in names:
                held = self._by_name.get(name)
                if held is not None:
                    held.discard(ended)
                    if not held:
                        del self._by_name[name]
            aclose = getattr(results, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
