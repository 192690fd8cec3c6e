"""A subgraph's open subscription sockets by the session they run under, so a logout, a suspension or a
password change ends them within the revocation view's delivery time (milliseconds), not at the next event.

Each graphql-transport-ws connection is filed under its viewer's grants (`jti:<token id>`, `sid:<session
id>`) once `connection_init` is acknowledged. When the revocation view reports one of them, every operation
on the socket ends with an `error` message (`extensions.code = UNAUTHENTICATED`, as graphql-transport-ws
ends an operation), and the socket's viewer becomes anonymous, so a later `subscribe` on it is refused too.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from graphql import GraphQLFormattedError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage

from libs.auth.viewer import Viewer

log = logging.getLogger("manpasik.sessions")

REVOKED = "access token revoked"
SESSION_ENDED: list[GraphQLFormattedError] = [
    {"message": "Your session has ended; log in again.", "extensions": {"code": "UNAUTHENTICATED"}}
]


def viewer_grants(viewer: Viewer) -> frozenset[str]:
    out = set()
    if viewer.token_id:
        out.add(f"jti:{viewer.token_id}")
    if viewer.session_id:
        out.add(f"sid:{viewer.session_id}")
    return frozenset(out)


class SessionSockets:
    def __init__(self) -> None:
        self._by_grant: dict[str, set[SessionBoundWSHandler]] = {}
        self._ending: set[asyncio.Task[None]] = set()

    def add(self, handler: SessionBoundWSHandler) -> None:
        for grant in handler.grants:
            self._by_grant.setdefault(grant, set()).add(handler)

    def discard(self, handler: SessionBoundWSHandler) -> None:
        for grant in handler.grants:
            held = self._by_grant.get(grant)
            if held is not None:
                held.discard(handler)
                if not held:
                    del self._by_grant[grant]

    def open_count(self) -> int:
        return len({h for held in self._by_grant.values() for h in held})

    def revoked(self, grants: frozenset[str]) -> None:
        """The revocation view's listener: ends every socket that stands on one of these grants."""
        for grant in grants:
            for handler in list(self._by_grant.get(grant, ())):
                self.discard(handler)
                task = asyncio.create_task(handler.end_session())
                self._ending.add(task)
                task.add_done_callback(self._ending.discard)


class SessionBoundWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """Strawberry's graphql-transport-ws handler, filed in the view's `sessions` while authenticated."""

    grants: frozenset[str] = frozenset()

    @property
    def sessions(self) -> SessionSockets | None:
        found: SessionSockets | None = getattr(self.view, "sessions", None)
        return found

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        viewer = getattr(self.context, "viewer", None)
        if self.connection_acknowledged and isinstance(viewer, Viewer) and self.sessions is not None:
            self.grants = viewer_grants(viewer)
            self.sessions.add(self)

    async def handle(self) -> None:
        try:
            await super().handle()
        finally:
            if self.sessions is not None:
                self.sessions.discard(self)

    async def end_session(self) -> None:
        self.context.viewer = Viewer(auth_error=REVOKED)
        for operation in list(self.operations.values()):
            task = operation.task
            try:
                message: ErrorMessage = {"id": operation.id, "type": "error", "payload": SESSION_ENDED}
                await operation.send_operation_message(message)
            except Exception:  # the socket is already gone: nothing left to tell
                log.debug("could not send the end of operation %s", operation.id)
            if task is not None:
                task.cancel()
