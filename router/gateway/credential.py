"""The router's credential towards its subgraphs: `X-Router-Signature: v1.<unix seconds>.<hex HMAC-SHA256(
secret, "v1.<unix seconds>")>` on every fetch and upstream subscription, so a subgraph believes the headers
only the router sets (X-Forwarded-For, X-Request-Id) and nobody else's. The secret is shared with the
subgraphs (`ROUTER_SUBGRAPH_SECRET`); subgraphs accept a signature up to 60 s old, and the router signs
afresh every `REFRESH_S`, so the hot path reuses one value instead of computing an HMAC per request.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "x-router-signature"
VERSION = "v1"
REFRESH_S = 10


def sign(secret: str, now: float | None = None) -> str:
    ts = str(int(time.time() if now is None else now))
    mac = hmac.new(secret.encode(), f"{VERSION}.{ts}".encode(), hashlib.sha256).hexdigest()
    return f"{VERSION}.{ts}.{mac}"


class SubgraphCredential:
    __slots__ = ("_secret", "_signed_at", "_value")

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._signed_at = 0.0
        self._value = ""

    def value(self) -> str:
        now = time.time()
        if now - self._signed_at >= REFRESH_S:
            self._value, self._signed_at = sign(self._secret, now), now
        return self._value
