"""The event backbone on fakeredis' TCP server (the dev stack's Redis when redis-server is absent)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

import pytest
from fakeredis import TcpFakeServer
from redis.asyncio import Redis

from libs.config import Settings
from libs.events import CloudEvent, EventConsumer, EventPublisher
from libs.testing import free_port, wait_for_port


@pytest.fixture(scope="module")
def fake_redis_url() -> Iterator[str]:
    port = free_port()
    server = TcpFakeServer(("127.0.0.1", port), server_type="redis")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    wait_for_port(port)
    yield f"redis://127.0.0.1:{port}/0"
    server.shutdown()
    server.server_close()


@pytest.fixture
async def fake(fake_redis_url: str) -> AsyncIterator[Redis]:
    client: Redis = Redis.from_url(fake_redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def test_two_groups_consume_and_restart_without_errors(fake: Redis, settings: Settings) -> None:
    seen: dict[str, list[str]] = {"a": [], "b": []}

    def handler_for(group: str):  # type: ignore[no-untyped-def]
        async def handler(e: CloudEvent) -> None:
            seen[group].append(e.id)
        return handler

    consumers = [EventConsumer(fake, settings, stream="dev", group=g, consumer="c", handler=handler_for(g),
                               block_ms=100) for g in ("a", "b")]
    for c in consumers:
        await c.ensure_group()
        await c.ensure_group()  # a restart: the group exists already
    stop = asyncio.Event()
    tasks = asyncio.gather(*(c.run(stop) for c in consumers))
    e = CloudEvent.new("test.happened", "/tests", None, {})
    await EventPublisher(fake, settings).publish("dev", e)
    for _ in range(100):
        if all(seen.values()):
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(tasks, 5)
    assert seen == {"a": [e.id], "b": [e.id]}
    for c in consumers:
        lag = await c.lag()
        assert (lag.pending, lag.lag) == (0, 0)
