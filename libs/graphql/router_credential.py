"""Headers only the router may set are believed only when the router signed the request.

The router appends the caller's address to `X-Forwarded-For` and names the request (`X-Request-Id`); a
caller who reaches a subgraph directly could send either, e.g. rotating X-Forwarded-For to escape the
per-address log-in limit. So every request the router sends carries

    X-Router-Signature: v1.<unix seconds>.<hex HMAC-SHA256(ROUTER_SUBGRAPH_SECRET, "v1.<unix seconds>")>

(`router.gateway.credential` writes it; a new one every 10 s). A subgraph accepts a signature no older (or
newer) than `MAX_SKEW_S`, compared in constant time; without a valid one the router-set headers are removed
before anything reads them, so the request counts as coming from its socket's peer address. The value does
not bind the request: whoever can read router-to-subgraph traffic could replay it for `MAX_SKEW_S` — that
network is the router's and the subgraphs' own. With no secret configured (a subgraph run alone in dev) no
request is believed. `scope["state"]["from_router"]` says which case a request is.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from starlette.types import ASGIApp, Receive, Scope, Send

HEADER = "x-router-signature"
ROUTER_SET_HEADERS = (b"x-forwarded-for", b"x-request-id", HEADER.encode())
MAX_SKEW_S = 60
VERSION = "v1"


def sign(secret: str, now: float | None = None) -> str:
    """The header value the router sends (also what tests standing in for the router send)."""
    ts = str(int(time.time() if now is None else now))
    mac = hmac.new(secret.encode(), f"{VERSION}.{ts}".encode(), hashlib.sha256).hexdigest()
    return f"{VERSION}.{ts}.{mac}"


class RouterCredential:
    def __init__(self, secret: str | None) -> None:
        self._key = secret.encode() if secret else None
        self._last: tuple[str, int] | None = None  # the last value accepted and its time: one HMAC per value

    def valid(self, value: str | None, now: float | None = None) -> bool:
        if self._key is None or not value:
            return False
        version, _, rest = value.partition(".")
        ts_text, _, mac = rest.partition(".")
        if version != VERSION or not ts_text.isdigit() or len(ts_text) > 12:
            return False
        ts = int(ts_text)
        if abs((time.time() if now is None else now) - ts) > MAX_SKEW_S:
            return False
        last = self._last
        if last is not None and last[1] == ts and hmac.compare_digest(last[0], value):
            return True
        expected = hmac.new(self._key, f"{VERSION}.{ts_text}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, mac):
            return False
        self._last = (value, ts)
        return True


class RouterCredentialMiddleware:
    """Drops the router-set headers of requests (HTTP and WebSocket) the router did not sign."""

    def __init__(self, app: ASGIApp, secret: str | None) -> None:
        self.app = app
        self.credential = RouterCredential(secret)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = scope["headers"]
            value = next((v.decode("latin-1") for k, v in headers if k == HEADER.encode()), None)
            trusted = self.credential.valid(value)
            scope = dict(scope)
            scope["state"] = {**scope.get("state", {}), "from_router": trusted}
            if not trusted:
                scope["headers"] = [(k, v) for k, v in headers if k not in ROUTER_SET_HEADERS]
        await self.app(scope, receive, send)
