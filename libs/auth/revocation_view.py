"""A process's local copy of the revocation list, so checking a token costs no Redis round trip.

It subscribes to the revocation channel first and then loads every revoked key (SCAN), so a revocation lands
either in the load or as a message. While it runs it pings Redis over the same pub/sub connection every
`stale_after_s / 3` seconds; the view is *fresh* only while pongs (or messages) keep coming within
`stale_after_s`. A stale view answers nothing: `Authenticator.is_revoked` then asks Redis as it always did,
and refuses the token when Redis cannot answer (fail closed). After a lost connection it subscribes and loads
again, and tells its listeners about every key it loaded, so a revocation missed while disconnected still
ends the streams it concerns.

Listeners (`listen`) are called with the revoked grants (`jti:<id>`, `sid:<id>`) of each message: open
subscriptions of those tokens end (the subgraphs' sockets, and the router through `manpasik.edge`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from libs.auth.revocation import Revocations

log = logging.getLogger("manpasik.auth.revocations")

Listener = Callable[[frozenset[str]], None]
RECONNECT_DELAY_S = 0.5
PRUNE_INTERVAL_S = 30.0
MIN_PING_INTERVAL_S = 0.05


class RevocationView:
    def __init__(self, revocations: Revocations, *, stale_after_s: float = 3.0) -> None:
        self.revocations = revocations
        self.stale_after_s = stale_after_s
        self._revoked: dict[str, float] = {}  # grant -> unix time after which its tokens are expired anyway
        self._heard = float("-inf")  # monotonic time of the last pong or message on a loaded subscription
        self._listeners: list[Listener] = []
        self._task: asyncio.Task[None] | None = None
        self._loaded = asyncio.Event()

    # -- reading -------------------------------------------------------------------------------------------
    def fresh(self) -> bool:
        return time.monotonic() - self._heard <= self.stale_after_s

    def revoked(self, grants: Iterable[str]) -> bool:
        """Whether any of these grants is revoked (meaningful only while `fresh()`)."""
        now = time.time()
        return any(self._revoked.get(g, 0.0) > now for g in grants)

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # -- lifecycle -----------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="revocation-view")

    async def wait_fresh(self, within_s: float = 5.0) -> bool:
        """Starts the view and waits until it is loaded (False when Redis did not answer in time)."""
        self.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._loaded.wait(), within_s)
        return self.fresh()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        self._heard = float("-inf")

    # -- the subscription ----------------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            pubsub = self.revocations.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.revocations.channel)
                loaded = await self._load()
                self._heard = time.monotonic()
                self._loaded.set()
                self._tell(loaded)
                await self._follow(pubsub)
            except (RedisError, OSError) as e:
                log.warning("revocation view: Redis connection lost (%s); requests ask Redis meanwhile", e)
            finally:
                self._heard = float("-inf")
                self._loaded.clear()
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
            await asyncio.sleep(RECONNECT_DELAY_S)

    async def _load(self) -> frozenset[str]:
        redis, prefix = self.revocations.redis, self.revocations.key_prefix
        keys = [k async for k in redis.scan_iter(match=prefix + "*", count=1000)]
        if not keys:
            return frozenset()
        async with redis.pipeline(transaction=False) as pipe:
            for k in keys:
                pipe.pttl(k)
            ttls: list[Any] = await pipe.execute()
        now = time.time()
        loaded: set[str] = set()
        for k, ttl in zip(keys, ttls, strict=True):
            if isinstance(ttl, int) and ttl > 0:
                grant = (k.decode() if isinstance(k, bytes) else str(k))[len(prefix):]
                self._revoked[grant] = max(self._revoked.get(grant, 0.0), now + ttl / 1000)
                loaded.add(grant)
        return frozenset(loaded)

    async def _follow(self, pubsub: PubSub) -> None:
        interval = max(MIN_PING_INTERVAL_S, self.stale_after_s / 3)  # never a busy loop, however small
        next_ping = time.monotonic()
        next_prune = time.monotonic() + PRUNE_INTERVAL_S
        while True:
            now = time.monotonic()
            if now >= next_ping:
                await pubsub.ping()
                next_ping = now + interval
            if now >= next_prune:
                self._prune()
                next_prune = now + PRUNE_INTERVAL_S
            msg = await pubsub.get_message(timeout=max(0.01, next_ping - time.monotonic()))
            if msg is None:
                continue
            if msg.get("type") == "pong":
                self._heard = time.monotonic()
            elif msg.get("type") == "message":
                self._heard = time.monotonic()
                self._apply(msg.get("data"))

    def _apply(self, data: Any) -> None:
        try:
            message = orjson.loads(data)
            names = frozenset(str(k) for k in message["keys"])
            until = float(message["until"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("revocation view: ignoring a malformed message")
            return
        for name in names:
            self._revoked[name] = max(self._revoked.get(name, 0.0), until)
        self._tell(names)

    def _tell(self, grants: frozenset[str]) -> None:
        if not grants:
            return
        for listener in list(self._listeners):
            try:
                listener(grants)
            except Exception:  # one broken listener must not stop the view
                log.exception("revocation listener failed")

    def _prune(self) -> None:
        now = time.time()
        for grant in [g for g, until in self._revoked.items() if until <= now]:
            del self._revoked[grant]
