"""Token checks cost no Redis round trip while the revocation view is fresh: every command the subgraph
sends to Redis during N entity fetches is counted (MONITOR, filtered by this test's own key prefix), and
with the view stopped each fetch asks Redis again (which shows the count can tell)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from libs.config import Settings
from libs.testing import running_app
from libs.testing.graphql import gql
from subgraphs.auth.app import create_app
from subgraphs.auth.settings import AuthSettings
from tests.subgraphs.auth.helpers import sign_up

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }"
N = 25


class Commands:
    """Redis commands that name keys under `prefix`, as MONITOR sees them."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url, self.prefix = url, prefix
        self.seen: list[str] = []
        self._marker = f"{prefix}marker:{secrets.token_hex(4)}"
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._ended = asyncio.Event()

    async def __aenter__(self) -> Commands:
        self._task = asyncio.create_task(self._watch())
        await asyncio.wait_for(self._ready.wait(), 5)
        return self

    async def __aexit__(self, *exc: object) -> None:
        client = Redis.from_url(self.url)
        try:  # everything sent before the marker has been seen once the marker is
            await client.get(self._marker)
            await asyncio.wait_for(self._ended.wait(), 5)
        finally:
            await client.aclose()
            assert self._task is not None
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        client = Redis.from_url(self.url, decode_responses=True)
        try:
            async with client.monitor() as monitor:
                self._ready.set()
                async for entry in monitor.listen():
                    command = str(entry.get("command", ""))
                    if self._marker in command:
                        self._ended.set()
                    elif self.prefix in command:
                        self.seen.append(command)
        finally:
            await client.aclose()


@pytest.fixture
async def served(
    settings: Settings, auth_settings: AuthSettings
) -> AsyncIterator[tuple[FastAPI, str, Settings]]:
    own = settings.model_copy(update={"redis_prefix": f"{settings.redis_prefix}cost{secrets.token_hex(3)}:"})
    app = create_app(own, auth_settings)
    async with running_app(app) as base:
        yield app, base + "/graphql", own


async def fetch_entities(url: str, user: dict[str, Any]) -> None:
    reps = [{"__typename": "User", "id": user["user"]["id"]}]
    for _ in range(N):
        r = await gql(url, ENTITIES, {"r": reps}, token=user["tokens"]["accessToken"])
        assert r["data"]["_entities"][0]["email"] == user["user"]["email"], r


async def test_entity_fetches_send_nothing_to_redis_while_the_view_is_fresh(
    served: tuple[FastAPI, str, Settings],
) -> None:
    app, url, own = served
    user = await sign_up(url)
    view = app.state.resources.authenticator.view
    assert view is not None and view.fresh()
    async with Commands(own.redis_url, own.redis_prefix) as fresh:
        await fetch_entities(url, user)
    assert fresh.seen == []

    await view.close()  # a view that does not run is stale: each check asks Redis, as before the view
    async with Commands(own.redis_url, own.redis_prefix) as stale:
        await fetch_entities(url, user)
    revocation_checks = [c for c in stale.seen if c.upper().startswith("EXISTS") and "auth:revoked:" in c]
    assert len(revocation_checks) == N, stale.seen
