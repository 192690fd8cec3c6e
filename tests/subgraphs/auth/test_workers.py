"""The outbox relay runs in AuthWorkers: inside the API process by default (AUTH_WORKERS=true, covered by the
sign-up event test), or as a process of its own (`manpasik worker auth`) when the API runs without it."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

from redis.asyncio import Redis

from libs.config import Settings
from libs.db.sql import drop_database
from libs.events.streams import AUTH_STREAM, USER_SIGNED_UP, stream_key
from libs.testing import running_app
from subgraphs.auth.app import create_app
from subgraphs.auth.resources import open_resources
from subgraphs.auth.settings import AuthSettings
from subgraphs.auth.worker import AuthWorkers
from tests.subgraphs.auth.helpers import CHEAP_HASHING, sign_up


async def _signed_up(redis: Redis, settings: Settings, user_id: str) -> list[dict[str, Any]]:
    entries = await redis.xrange(stream_key(settings, AUTH_STREAM))
    events = [json.loads(fields["event"]) for _, fields in entries]
    return [e for e in events if e["type"] == USER_SIGNED_UP and e["subject"] == user_id]


async def test_without_workers_the_api_only_commits_and_the_worker_publishes(settings: Settings,
                                                                           redis: Redis) -> None:
    # A database of its own: the session's auth app (workers on) must not relay this test's outbox.
    own = AuthSettings(**CHEAP_HASHING, workers=False, database=f"manpasik_auth_w{secrets.token_hex(3)}")
    try:
        async with running_app(create_app(settings, own)) as base:
            user = (await sign_up(base + "/graphql"))["user"]
            await asyncio.sleep(1.0)  # twice the relay's interval: no relay runs in this process
            assert await _signed_up(redis, settings, user["id"]) == []

        stop = asyncio.Event()
        async with open_resources(settings, own) as res:
            task = asyncio.create_task(AuthWorkers(res).run(stop))
            try:
                for _ in range(100):
                    published = await _signed_up(redis, settings, user["id"])
                    if published:
                        break
                    await asyncio.sleep(0.05)
            finally:
                stop.set()
                await asyncio.wait_for(task, timeout=10)
        assert [e["data"] for e in published] == [
            {"userId": user["id"], "displayName": "테스트 사용자", "locale": "ko-KR", "roles": ["USER"]}
        ]
    finally:
        await drop_database(settings.sql_url(own.database))
