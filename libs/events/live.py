"""Live updates over Redis pub/sub: any process publishes, every process delivers to the sockets it holds.

Each process keeps one pub/sub connection and subscribes to a user's channel while at least one local
subscriber listens to it, so ten thousand sockets cost one Redis connection, not ten thousand. Pub/sub is
fire-and-forget: feed it from a durable source (a consumer of the outbox's stream), never as the only record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from libs.config import Settings

log = logging.getLogger("manpasik.events.live")

T = TypeVar("T")


class LiveHub:
    def __init__(self, redis: Redis, settings: Settings, *, queue_size: int = 100) -> None:
        self.redis = redis
        self.settings = settings
        self.queue_size = queue_size
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._listeners: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._lock = asyncio.Lock()

    def channel(self, topic: str, user_id: str) -> str:
        return self.settings.redis_key("live", topic, user_id)

    async def publish(self, topic: str, user_id: str, message: dict[str, Any]) -> int:
        """Returns how many processes received it (0 when nobody listens, which is fine)."""
        return int(await self.redis.publish(self.channel(topic, user_id), orjson.dumps(message)))

    async def publish_many(self, messages: list[tuple[str, str, dict[str, Any]]]) -> None:
        """(topic, user id, message) triples in one pipelined round trip, in order."""
        if not messages:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for topic, user_id, message in messages:
                pipe.publish(self.channel(topic, user_id), orjson.dumps(message))
            await pipe.execute()

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str, user_id: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """A queue of this user's messages on `topic`, for as long as the block runs."""
        channel = self.channel(topic, user_id)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.queue_size)
        async with self._lock:
            if self._pubsub is None:
                self._pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            listeners = self._listeners.setdefault(channel, set())
            if not listeners:
                await self._pubsub.subscribe(channel)
            listeners.add(queue)
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read(self._pubsub))
        try:
            yield queue
        finally:
            async with self._lock:
                listeners = self._listeners.get(channel, set())
                listeners.discard(queue)
                if not listeners:
                    self._listeners.pop(channel, None)
                    if self._pubsub is not None:
                        with contextlib.suppress(RedisError, OSError):
                            await self._pubsub.unsubscribe(channel)

    async def _read(self, pubsub: PubSub) -> None:
        while True:
            try:
                msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except (RedisError, OSError) as e:
                log.warning("live hub: pub/sub connection lost (%s); resubscribing", e)
                await asyncio.sleep(0.5)
                continue  # redis-py reconnects and resubscribes the channels on the next read
            if msg is None or msg.get("type") != "message":
                if not self._listeners:
                    await asyncio.sleep(0.05)
                continue
            try:
                payload = orjson.loads(msg["data"])
            except orjson.JSONDecodeError:
                continue
            for queue in list(self._listeners.get(msg["channel"], ())):
                if queue.full():  # a stalled socket loses its oldest update, never blocks the others
                    queue.get_nowait()
                queue.put_nowait(payload)

    async def listeners(self, topic: str, user_id: str) -> int:
        """How many processes currently listen to this user's channel (tests wait on it)."""
        rows: Any = await self.redis.pubsub_numsub(self.channel(topic, user_id))
        return int(rows[0][1]) if rows else 0

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()
        self._reader = None
        self._pubsub = None
        self._listeners.clear()


async def live_rows(live: LiveHub, topic: str, user_id: str,
                    fetch: Callable[[dict[str, Any]], Awaitable[T | None]],
                    owner: Callable[[T], str | None]) -> AsyncIterator[T]:
    """The body of a "my new things" subscription: for each of the user's messages on `topic`, the row that
    `fetch` reads for it; a row that is gone, or (defensively) someone else's, is skipped."""
    async with live.subscribe(topic, user_id) as queue:
        while True:
            row = await fetch(await queue.get())
            if row is not None and owner(row) == user_id:
                yield row
