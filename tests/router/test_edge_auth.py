"""With --verify-tokens the router refuses forged, expired and revoked tokens before asking any subgraph,
and tells subgraphs the caller's address (X-Forwarded-For) for per-IP limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import httpx
import pytest
import strawberry

from libs.auth.revocation import Revocations
from libs.auth.tokens import Authenticator, issue_access_token
from libs.config import Settings
from libs.graphql.app import create_subgraph_app
from libs.graphql.schema import build_schema
from libs.redis import create_redis
from libs.testing import running_app
from libs.testing.router import router_process

SEEN: list[str] = []  # requests that reached the subgraph


@strawberry.type
class Query:
    @strawberry.field
    def who_am_i(self, info: strawberry.Info) -> str:
        SEEN.append("whoAmI")
        return info.context.viewer.user_id or "anonymous"

    @strawberry.field
    def forwarded_for(self, info: strawberry.Info) -> str | None:
        value: str | None = info.context.request.headers.get("x-forwarded-for")
        return value


class _Resources:
    def __init__(self, settings: Settings) -> None:
        self.authenticator = Authenticator(settings)

    async def ready(self) -> dict[str, str]:
        return {}


@asynccontextmanager
async def _resources(settings: Settings) -> AsyncIterator[_Resources]:
    res = _Resources(settings)
    yield res
    await res.authenticator.aclose()


@pytest.fixture
async def router_url(settings: Settings) -> AsyncIterator[str]:
    app = create_subgraph_app("edge", build_schema(query=Query), _resources, settings=settings)
    async with running_app(app) as base, router_process({"edge": base + "/graphql"}, settings) as router:
        yield router + "/graphql"


async def _ask(url: str, token: str | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient() as client:
        return await client.post(url, json={"query": "{ whoAmI }"}, headers=headers)


async def test_valid_and_missing_tokens_pass_bad_ones_stop_at_the_edge(
    router_url: str, settings: Settings
) -> None:
    token, _, _ = issue_access_token(settings, "user-1", ["USER"], "s1")
    assert (await _ask(router_url, token)).json() == {"data": {"whoAmI": "user-1"}}
    assert (await _ask(router_url)).json() == {"data": {"whoAmI": "anonymous"}}

    SEEN.clear()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    expired, _, _ = issue_access_token(settings, "user-1", ["USER"], "s1", now=1_000_000)
    for bad, why in ((forged, "invalid access token"), (expired, "access token expired")):
        r = await _ask(router_url, bad)
        assert r.status_code == 401
        assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert r.json()["errors"][0]["message"] == why
    assert SEEN == [], "a refused request reached a subgraph"


async def test_a_revoked_token_is_refused_within_a_second(router_url: str, settings: Settings) -> None:
    token, jti, exp = issue_access_token(settings, "user-2", ["USER"], "s2")
    assert (await _ask(router_url, token)).status_code == 200
    redis = create_redis(settings.redis_url)
    try:
        await Revocations(settings, redis).revoke_token(jti, exp)
    finally:
        await redis.aclose()
    await asyncio.sleep(1.0)
    r = await _ask(router_url, token)
    assert r.status_code == 401 and r.json()["errors"][0]["message"] == "access token revoked"

    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(router_url, protocols=("graphql-transport-ws",)) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        msg = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
        assert ws.close_code == 4403


async def test_subgraphs_learn_the_callers_address(router_url: str) -> None:
    async with httpx.AsyncClient() as client:
        r = await client.post(
            router_url, json={"query": "{ forwardedFor }"}, headers={"x-forwarded-for": "203.0.113.9"}
        )
    assert r.json() == {"data": {"forwardedFor": "203.0.113.9, 127.0.0.1"}}
