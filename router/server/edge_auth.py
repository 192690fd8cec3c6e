"""Token checks at the edge: a request whose bearer token is forged, expired or revoked is refused before any
subgraph is asked (subgraphs check again; this stops revoked sessions at the door and saves the fan-out).

On only with `--verify-tokens`, so the router stays a generic Federation gateway for any supergraph. Keys,
issuer, audience and the Redis revocation list come from the shared settings (libs.config), the same ones
every subgraph verifies with. Requests without a token pass: anonymous operations (signUp, logIn) exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

if TYPE_CHECKING:
    from libs.auth.tokens import Authenticator


class EdgeAuth:
    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

    @classmethod
    def from_settings(cls) -> EdgeAuth:
        # Imported here: a router serving some other supergraph never loads our settings.
        from libs.auth.tokens import Authenticator
        from libs.config import get_settings

        return cls(Authenticator(get_settings()))

    async def refusal(self, authorization: str | None) -> str | None:
        """Why the presented token is refused, or None (no token, or a valid one)."""
        if not authorization:
            return None
        viewer = await self.authenticator.viewer_from_header(authorization)
        return viewer.auth_error

    async def aclose(self) -> None:
        await self.authenticator.aclose()


def refused(message: str) -> web.Response:
    body: dict[str, Any] = {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}
    return web.Response(
        status=401,
        body=orjson.dumps(body),
        content_type="application/json",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


class ForwardedFor:
    """The request's headers as the gateway reads them (`.get`), with the caller's address appended to
    X-Forwarded-For for per-IP limits. A view, not a copy: the hot path copies only what it forwards."""

    __slots__ = ("_headers", "_xff")

    def __init__(self, request: web.Request) -> None:
        self._headers = request.headers
        previous, remote = request.headers.get("x-forwarded-for"), request.remote
        self._xff = f"{previous}, {remote}" if previous and remote else (remote or previous)

    def get(self, name: str, default: str | None = None) -> str | None:
        if name == "x-forwarded-for":
            return self._xff or default
        value: str | None = self._headers.get(name, default)
        return value
