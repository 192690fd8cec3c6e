"""Live fan-out over Redis pub/sub: right user only, several subscribers share one connection."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from libs.config import Settings
from libs.events.live import LiveHub


async def _until_listening(hub: LiveHub, topic: str, user: str) -> None:
    for _ in range(100):
        if await hub.listeners(topic, user):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never subscribed")


async def test_messages_reach_only_the_users_subscribers(redis: Redis, settings: Settings) -> None:
    serving, other_process = LiveHub(redis, settings), LiveHub(redis, settings)
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        async with serving.subscribe("t", alice) as a1, serving.subscribe("t", alice) as a2, \
                serving.subscribe("t", bob) as b:
            await _until_listening(serving, "t", alice)
            await _until_listening(serving, "t", bob)
            assert await serving.listeners("t", alice) == 1  # two local sockets, one subscription
            assert await other_process.publish("t", alice, {"n": 1}) == 1
            assert await asyncio.wait_for(a1.get(), 2) == {"n": 1}
            assert await asyncio.wait_for(a2.get(), 2) == {"n": 1}
            await asyncio.sleep(0.1)
            assert b.empty()
        assert await serving.listeners("t", alice) == 0
        assert await other_process.publish("t", alice, {"n": 2}) == 0
    finally:
        await serving.close()


async def test_a_slow_subscriber_keeps_the_newest_updates(redis: Redis, settings: Settings) -> None:
    hub = LiveHub(redis, settings, queue_size=2)
    user = str(uuid.uuid4())
    try:
        async with hub.subscribe("t", user) as q:
            await _until_listening(hub, "t", user)
            for n in range(5):
                await hub.publish("t", user, {"n": n})
            await asyncio.sleep(0.2)
            assert [q.get_nowait()["n"] for _ in range(2)] == [3, 4]
            with pytest.raises(asyncio.QueueEmpty):
                q.get_nowait()
    finally:
        await hub.close()


async def test_subscribing_again_after_everyone_left(redis: Redis, settings: Settings) -> None:
    hub = LiveHub(redis, settings)
    user = str(uuid.uuid4())
    try:
        for n in range(2):
            async with hub.subscribe("t", user) as q:
                await _until_listening(hub, "t", user)
                await hub.publish("t", user, {"n": n})
                assert await asyncio.wait_for(q.get(), 2) == {"n": n}
            assert await hub.listeners("t", user) == 0
    finally:
        await hub.close()


async def test_publish_many_reaches_each_user_in_order(redis: Redis, settings: Settings) -> None:
    hub = LiveHub(redis, settings)
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        async with hub.subscribe("t", alice) as a, hub.subscribe("t", bob) as b:
            await _until_listening(hub, "t", alice)
            await _until_listening(hub, "t", bob)
            await hub.publish_many([("t", alice, {"n": 1}), ("t", bob, {"n": 2}), ("t", alice, {"n": 3})])
            assert [await asyncio.wait_for(a.get(), 2) for _ in range(2)] == [{"n": 1}, {"n": 3}]
            assert await asyncio.wait_for(b.get(), 2) == {"n": 2}
    finally:
        await hub.close()
