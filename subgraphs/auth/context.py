"""The auth subgraph's request context: the shared one (units of work over `AuthRepository`) plus the
caller's address."""

from __future__ import annotations

import strawberry

from libs.graphql.context import StoreContext
from subgraphs.auth.repository import AuthRepository
from subgraphs.auth.resources import AuthResources
from subgraphs.auth.service.common import ClientInfo


class AuthContext(StoreContext[AuthResources, AuthRepository]):
    def client(self) -> ClientInfo:
        request = getattr(self, "request", None)
        if request is None:
            return ClientInfo()
        ip = request.client.host if request.client else None
        agent = request.headers.get("user-agent", "")[:200]
        # X-Forwarded-For is here only when the router signed the request (libs.graphql.router_credential).
        trusted = self.resources.settings.trust_forwarded_for
        forwarded = request.headers.get("x-forwarded-for") if trusted else None
        if forwarded and forwarded.split(",")[-1].strip():
            # The router appends the caller's address: the right-most entry is the one it saw.
            return ClientInfo(ip=forwarded.split(",")[-1].strip()[:64], ip_is_callers=True, user_agent=agent)
        # Not through the router, the socket's peer is the caller itself: its address is what limits count.
        from_router = bool(request.scope.get("state", {}).get("from_router"))
        return ClientInfo(ip=ip, ip_is_callers=not from_router, user_agent=agent)


Info = strawberry.Info[AuthContext, None]
