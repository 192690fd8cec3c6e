"""Rate limits per operation class and per caller, shared by every router process through Redis.

GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp): a bucket with rate r and
burst b admits b requests at once, then one every 1/r s. The Redis script reads and moves the bucket's
"theoretical arrival time" atomically, on Redis's own clock (TIME), so processes on different machines agree.

The caller is the verified token's subject when the request carries one (a user is limited wherever they
connect from; people behind one carrier NAT do not share a bucket), else the client's address. When Redis
does not answer, each process keeps the same buckets itself (limits then hold per process; see store.py).
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from router.edge.settings import Rate
from router.edge.store import EdgeRedis

# KEYS[i] a bucket; ARGV[2i-1] its emission interval (µs between requests), ARGV[2i] its burst. One call
# takes one request from each (a key may repeat: it is read after its own update). Returns, per key, 0 when
# admitted, else the µs to wait.
GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local out = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - burst * interval
  if now < allow_at then
    out[i] = allow_at - now
  else
    redis.call('SET', key, new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
    out[i] = 0
  end
end
return out
"""


@dataclass(frozen=True)
class Refusal:
    retry_after_s: float  # how long until one more request of this class would pass

    @property
    def header(self) -> str:
        """HTTP's Retry-After is whole seconds."""
        return str(max(1, math.ceil(self.retry_after_s)))


class LocalBuckets:
    """The same GCRA in this process (when Redis is unreachable, or none is configured)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.tat: dict[str, float] = {}
        self.max_keys = max_keys

    def take(self, key: str, rate: Rate) -> float:
        now = time.monotonic()
        interval = 1.0 / rate.per_second
        tat = max(self.tat.get(key, now), now)
        new_tat = tat + interval
        allow_at = new_tat - rate.burst * interval
        if now < allow_at:
            return allow_at - now
        if len(self.tat) >= self.max_keys:  # drop buckets that are full again
            self.tat = {k: v for k, v in self.tat.items() if v > now}
        self.tat[key] = new_tat
        return 0.0


class RateLimiter:
    """Requests admitted in the same event-loop turn share one script call (under load, dozens of them),
    which is what keeps the Redis round trip a few percent of a request's CPU."""

    def __init__(self, redis: EdgeRedis | None) -> None:
        self.redis = redis
        self.local = LocalBuckets()
        self._script = redis.client.register_script(GCRA_LUA) if redis is not None else None
        self._batch: list[tuple[str, Rate, asyncio.Future[float]]] = []

    async def take(self, klass: str, caller: str, rate: Rate) -> Refusal | None:
        key = f"rl:{klass}:{caller}"
        wait: float
        if self.redis is not None and self.redis.available:
            future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            if not self._batch:
                asyncio.get_running_loop().call_soon(self._flush)
            self._batch.append((key, rate, future))
            wait = await future
        else:
            wait = self.local.take(key, rate)
        return Refusal(wait) if wait > 0 else None

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        task = asyncio.ensure_future(self._send(batch))
        task.add_done_callback(_retrieve)

    async def _send(self, batch: list[tuple[str, Rate, asyncio.Future[float]]]) -> None:
        assert self.redis is not None and self._script is not None
        args: list[int] = []
        for _, rate, _ in batch:
            args += [max(1, round(1_000_000 / rate.per_second)), rate.burst]
        try:
            waits: Any = await self._script(keys=[self.redis.key(k) for k, _, _ in batch], args=args)
            results = [int(w) / 1_000_000 for w in waits]
        except (RedisError, OSError) as exc:
            self.redis.failed(exc, "rate limits")
            results = [self.local.take(key, rate) for key, rate, _ in batch]
        except BaseException as exc:  # cancelled with the router: release the waiting requests
            for *_, future in batch:
                if not future.done():
                    future.set_exception(exc)
            raise
        for (*_, future), wait in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(wait)


def _retrieve(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()
