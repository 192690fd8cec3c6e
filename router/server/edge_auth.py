"""Token checks at the edge: a request whose bearer token is forged, expired or revoked is refused before any
subgraph is asked (subgraphs check again; this stops revoked sessions at the door and saves the fan-out).

The router knows nothing of tokens: whoever starts it hands it a `TokenVerifier` (`manpasik router
--verify-tokens` builds one from the platform's keys and revocation list), so without one it stays a generic
Federation v2 gateway for any supergraph. Requests without a token pass: anonymous operations (signUp, logIn)
exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from router.supergraph.authorization import ANONYMOUS, Principal
from router.telemetry.metrics import count_error


@dataclass(frozen=True)
class TokenVerifier:
    """`refusal(authorization header)`: why the presented token is refused, or None when it is valid;
    `close()`: releases what the check holds (clients, connections), once, when the router stops."""

    refusal: Callable[[str], Awaitable[str | None]]
    close: Callable[[], Awaitable[None]] | None = None
    # Who a token the check accepted speaks for (its scopes and policies, e.g. the user's roles): with it the
    # router enforces the supergraph's @authenticated / @requiresScopes / @policy.
    principal: Callable[[str], Awaitable[Principal]] | None = None
    # Ending sessions: `grants(authorization header)` names what an accepted token stands on (opaque names,
    # e.g. its id and its session), None when it is refused; `watch(on_revoked)` starts calling
    # `on_revoked(names)` whenever some are revoked, and the router ends the streams opened with those tokens
    # (router.subscriptions.sessions). Both or neither.
    grants: Callable[[str], Awaitable[frozenset[str] | None]] | None = None
    watch: Callable[[Callable[[frozenset[str]], None]], Awaitable[None]] | None = None


class EdgeAuth:
    def __init__(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier

    async def refusal(self, authorization: str | None) -> str | None:
        """Why the presented token is refused, or None (no token, or a valid one)."""
        if not authorization:
            return None
        return await self.verifier.refusal(authorization)

    async def principal(self, authorization: str | None) -> Principal:
        if not authorization or self.verifier.principal is None:
            return ANONYMOUS
        return await self.verifier.principal(authorization)

    async def aclose(self) -> None:
        if self.verifier.close is not None:
            await self.verifier.close()


def refused(message: str) -> web.Response:
    count_error("UNAUTHENTICATED")
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

    __slots__ = ("_headers", "_xff", "request_id")

    def __init__(self, request: web.Request) -> None:
        self._headers = request.headers
        previous, remote = request.headers.get("x-forwarded-for"), request.remote
        self._xff = f"{previous}, {remote}" if previous and remote else (remote or previous)
        self.request_id: str | None = None  # made by telemetry when the client sent none (logs use it too)

    def get(self, name: str, default: str | None = None) -> str | None:
        if name == "x-forwarded-for":
            return self._xff or default
        value: str | None = self._headers.get(name, default)
        if value is None and name == "x-request-id":
            return self.request_id
        return value
