"""Revoked access tokens and sessions, in Redis with a TTL equal to the longest remaining token lifetime.

The auth subgraph writes a key per revoked token id (`jti`) or session (`sid`) and, in the same round trip,
announces it on the pub/sub channel `<REDIS_PREFIX>auth:revocations` as JSON
`{"keys": ["jti:<id>", "sid:<id>", ...], "until": <unix time after which those tokens are expired anyway>}`.
Readers keep a local view of the keys (`libs.auth.revocation_view`), loaded at start and kept current by that
channel, so a request costs no Redis round trip; without a fresh view they ask Redis (one EXISTS). Keys go
through `settings.redis_key`, so test runs stay isolated.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import orjson
from redis.asyncio import Redis

from libs.config import Settings


def grants(claims: dict[str, Any]) -> frozenset[str]:
    """What a token stands on, named as revocations name it: its id and its session."""
    out = {f"jti:{claims['jti']}"}
    if claims.get("sid"):
        out.add(f"sid:{claims['sid']}")
    return frozenset(out)


class Revocations:
    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.settings = settings
        self.redis = redis

    @property
    def channel(self) -> str:
        return self.settings.redis_key("auth", "revocations")

    @property
    def key_prefix(self) -> str:
        return self.settings.redis_key("auth", "revoked", "")

    def key(self, grant: str) -> str:
        """`jti:<id>` / `sid:<id>` -> its Redis key."""
        return self.key_prefix + grant

    def token_key(self, jti: str) -> str:
        return self.key(f"jti:{jti}")

    def session_key(self, sid: str) -> str:
        return self.key(f"sid:{sid}")

    async def revoke_token(self, jti: str, exp: int) -> None:
        ttl = max(1, exp - int(time.time()) + 1)
        await self._revoke([f"jti:{jti}"], ttl)

    async def revoke_sessions(self, session_ids: Iterable[str]) -> None:
        """Every access token of these sessions; none outlives the access-token TTL after this moment."""
        await self._revoke([f"sid:{sid}" for sid in session_ids], self.settings.access_token_ttl_s + 5)

    async def _revoke(self, names: list[str], ttl: int) -> None:
        if not names:
            return
        message = orjson.dumps({"keys": names, "until": int(time.time()) + ttl})
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.set(self.key(name), "1", ex=ttl)
            pipe.publish(self.channel, message)  # after the keys: a view that loads them misses nothing
            await pipe.execute()

    async def is_revoked(self, claims: dict[str, Any]) -> bool:
        return bool(await self.redis.exists(*(self.key(g) for g in grants(claims))))
