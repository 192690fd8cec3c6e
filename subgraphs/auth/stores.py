"""Short-lived auth state in Redis: login throttling, 2FA challenges, social-login state. Every key goes
through `settings.redis_key`."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from libs.config import Settings
from subgraphs.auth.errors import TooManyAttempts
from subgraphs.auth.secrets import new_secret, sha256_hex
from subgraphs.auth.settings import AuthSettings


class LoginThrottle:
    """Failed logins per account and per IP; past the limit every further failure doubles the wait."""

    def __init__(self, settings: Settings, auth: AuthSettings, redis: Redis) -> None:
        self.settings, self.auth, self.redis = settings, auth, redis

    def _scopes(self, email: str, ip: str | None) -> list[tuple[str, int]]:
        # Keyed by the normalized email whether or not the account exists: the same answer either way.
        scopes = [
            (
                self.settings.redis_key("auth", "login", "acct", sha256_hex(email)),
                self.auth.login_failures_per_account,
            )
        ]
        if ip:
            scopes.append(
                (self.settings.redis_key("auth", "login", "ip", ip), self.auth.login_failures_per_ip)
            )
        return scopes

    async def check(self, email: str, ip: str | None) -> None:
        for key, _ in self._scopes(email, ip):
            wait = await self.redis.pttl(key + ":lock")
            if wait > 0:
                raise TooManyAttempts(
                    "too many failed log-in attempts; try again later", retry_after=round(wait / 1000, 1)
                )

    async def failed(self, email: str, ip: str | None) -> None:
        for key, limit in self._scopes(email, ip):
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self.auth.login_failure_window_s, nx=True)
                count, _ = await pipe.execute()
            if count >= limit:
                delay = min(2 * 2 ** (count - limit), self.auth.login_max_delay_s)
                await self.redis.set(key + ":lock", "1", ex=delay)

    async def succeeded(self, email: str) -> None:
        key = self._scopes(email, None)[0][0]
        await self.redis.delete(key, key + ":lock")


class OneTimeState:
    """A random token naming a small JSON value, readable until consumed or expired (2FA, OAuth state)."""

    def __init__(self, settings: Settings, redis: Redis, kind: str) -> None:
        self.settings, self.redis, self.kind = settings, redis, kind

    def _key(self, token: str, *suffix: str) -> str:
        return self.settings.redis_key("auth", self.kind, sha256_hex(token), *suffix)

    async def create(self, value: dict[str, Any], ttl_s: int) -> str:
        token = new_secret()
        await self.redis.set(self._key(token), json.dumps(value), ex=ttl_s)
        return token

    async def get(self, token: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self._key(token))
        return json.loads(raw) if raw else None

    async def consume(self, token: str) -> dict[str, Any] | None:
        """Single use: of two concurrent calls only one gets the value."""
        raw = await self.redis.getdel(self._key(token))
        await self.redis.delete(self._key(token, "attempts"))
        return json.loads(raw) if raw else None

    async def count_attempt(self, token: str, ttl_s: int) -> int:
        key = self._key(token, "attempts")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, ttl_s, nx=True)
            count, _ = await pipe.execute()
        return int(count)


class Quota:
    """At most `limit` actions per key in a fixed window: mail and SMS cost money and annoy people."""

    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.settings, self.redis = settings, redis

    async def take(self, action: str, subject: str, *, limit: int, window_s: int) -> None:
        key = self.settings.redis_key("auth", "quota", action, sha256_hex(subject))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window_s, nx=True)
            pipe.ttl(key)
            count, _, ttl = await pipe.execute()
        if count > limit:
            raise TooManyAttempts(f"too many {action} requests; try again later", retry_after=max(1, ttl))
