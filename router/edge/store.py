"""The edge's own Redis client (the router imports nothing of the platform): rate-limit buckets and
persisted queries shared by every router process.

When Redis does not answer, callers fall back to what the process holds itself (per-process buckets, the
local persisted-query cache), a warning is logged at most every 30 s, and Redis is not asked again for a
second, so an outage costs no connect timeout per request.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("router.edge")

RETRY_AFTER_FAILURE_S = 1.0
WARN_EVERY_S = 30.0


class EdgeRedis:
    def __init__(self, url: str, prefix: str = "") -> None:
        self.client: aioredis.Redis = aioredis.Redis.from_url(
            url, socket_timeout=0.25, socket_connect_timeout=0.25, health_check_interval=0
        )
        self.prefix = prefix
        self._down_until = 0.0
        self._warned_at = -WARN_EVERY_S

    def key(self, *parts: str) -> str:
        return self.prefix + "router:" + ":".join(parts)

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def failed(self, exc: BaseException, what: str) -> None:
        now = time.monotonic()
        self._down_until = now + RETRY_AFTER_FAILURE_S
        if now - self._warned_at >= WARN_EVERY_S:
            self._warned_at = now
            log.warning("Redis unreachable for %s (%s): using this process's own state", what, exc)

    async def get(self, key: str) -> bytes | None:
        if not self.available:
            return None
        try:
            value: Any = await self.client.get(key)
        except (RedisError, OSError) as exc:
            self.failed(exc, "persisted queries")
            return None
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: str, ttl_s: int) -> None:
        if not self.available:
            return
        try:
            await self.client.set(key, value, ex=ttl_s)
        except (RedisError, OSError) as exc:
            self.failed(exc, "persisted queries")

    async def aclose(self) -> None:
        await self.client.aclose()
