"""Revoked access tokens and sessions, in Redis with a TTL equal to the longest remaining token lifetime.

The auth subgraph writes; every subgraph and the router read on each request (one EXISTS), so a revoked token
stops working everywhere at once. Keys go through `settings.redis_key`, so test runs stay isolated.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from redis.asyncio import Redis

from libs.config import Settings


class Revocations:
    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.settings = settings
        self.redis = redis

    def token_key(self, jti: str) -> str:
        return self.settings.redis_key("auth", "revoked", "jti", jti)

    def session_key(self, sid: str) -> str:
        return self.settings.redis_key("auth", "revoked", "sid", sid)

    async def revoke_token(self, jti: str, exp: int) -> None:
        ttl = max(1, exp - int(time.time()) + 1)
        await self.redis.set(self.token_key(jti), "1", ex=ttl)

    async def revoke_sessions(self, session_ids: Iterable[str]) -> None:
        """Every access token of these sessions; none outlives the access-token TTL after this moment."""
        ids = list(session_ids)
        if not ids:
            return
        ttl = self.settings.access_token_ttl_s + 5
        async with self.redis.pipeline(transaction=False) as pipe:
            for sid in ids:
                pipe.set(self.session_key(sid), "1", ex=ttl)
            await pipe.execute()

    async def is_revoked(self, claims: dict[str, Any]) -> bool:
        keys = [self.token_key(str(claims["jti"]))]
        if claims.get("sid"):
            keys.append(self.session_key(str(claims["sid"])))
        return bool(await self.redis.exists(*keys))
