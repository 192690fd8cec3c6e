"""With --verify-tokens the router refuses forged, expired and revoked tokens before asking any subgraph,
ends the streams of revoked sessions, and tells subgraphs the caller's address (X-Forwarded-For, signed) for
per-IP limits."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import httpx
import jwt
import pytest
import strawberry
from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter

from libs.auth.revocation import Revocations
from libs.auth.tokens import Authenticator, issue_access_token
from libs.config import Settings
from libs.graphql.app import create_subgraph_app
from libs.graphql.schema import build_schema
from libs.redis import create_redis
from libs.testing import running_app
from libs.testing.graphql import from_router
from libs.testing.router import ROOT, router_process

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
async def edge(settings: Settings) -> AsyncIterator[tuple[str, str]]:
    """(the subgraph's /graphql, the router's /graphql)"""
    app = create_subgraph_app("edge", build_schema(query=Query), _resources, settings=settings)
    async with running_app(app) as base, router_process({"edge": base + "/graphql"}, settings) as router:
        yield base + "/graphql", router + "/graphql"


@pytest.fixture
def router_url(edge: tuple[str, str]) -> str:
    return edge[1]


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


async def test_a_direct_caller_cannot_set_what_the_router_sets(edge: tuple[str, str]) -> None:
    """Straight at the subgraph, X-Forwarded-For (and X-Request-Id) are dropped: only the router signs."""
    subgraph_url, _ = edge
    async with httpx.AsyncClient() as client:
        direct = await client.post(subgraph_url, json={"query": "{ forwardedFor }"},
                                   headers={"x-forwarded-for": "203.0.113.9"})
        forged = await client.post(subgraph_url, json={"query": "{ forwardedFor }"},
                                   headers={"x-forwarded-for": "203.0.113.9",
                                            "x-router-signature": "v1.1.deadbeef"})
        signed = await client.post(subgraph_url, json={"query": "{ forwardedFor }"},
                                   headers=from_router({"x-forwarded-for": "203.0.113.9"}))
    assert direct.json() == forged.json() == {"data": {"forwardedFor": None}}
    assert signed.json() == {"data": {"forwardedFor": "203.0.113.9"}}


@strawberry.type
class Ticks:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[int, None]:
        n = 0
        while True:
            n += 1
            yield n
            await asyncio.sleep(0.2)


@pytest.fixture
async def ticking_router(settings: Settings) -> AsyncIterator[str]:
    """A plain Strawberry subgraph (none of our session handling): whatever ends its stream is the router."""
    app = FastAPI()
    app.include_router(GraphQLRouter(build_schema(query=Query, subscription=Ticks)), prefix="/graphql")
    async with running_app(app) as base, router_process({"ticks": base + "/graphql"}, settings) as router:
        yield router + "/graphql"


async def test_the_router_ends_streams_of_a_revoked_session_itself(
    ticking_router: str, settings: Settings
) -> None:
    token, _, _ = issue_access_token(settings, "user-3", ["USER"], "s3-" + secrets.token_hex(4))
    sid = jwt.decode(token, options={"verify_signature": False})["sid"]
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(ticking_router, protocols=("graphql-transport-ws",)) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": "subscription { ticks }"}})
        assert (await ws.receive_json(timeout=5))["payload"] == {"data": {"ticks": 1}}
        redis = create_redis(settings.redis_url)
        try:
            await Revocations(settings, redis).revoke_sessions([sid])
        finally:
            await redis.aclose()
        started = time.monotonic()
        while True:
            msg = await ws.receive_json(timeout=1.0)
            if msg["type"] != "next":
                break
        assert time.monotonic() - started < 1.0
        assert msg["type"] == "error" and msg["id"] == "1"
        assert msg["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_prod_router_without_the_subgraph_secret_refuses_to_start() -> None:
    """Unsigned, every caller would count as the router's own address in the subgraphs' per-address limits."""
    env = {k: v for k, v in os.environ.items() if k != "ROUTER_SUBGRAPH_SECRET"} | {"MANPASIK_ENV": "prod"}
    for secret in (None, "too-short"):
        run_env = env if secret is None else env | {"ROUTER_SUBGRAPH_SECRET": secret}
        done = subprocess.run(
            [sys.executable, "-m", "manpasik", "router", "serve", "--supergraph", "unused.graphql"],
            cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert "ROUTER_SUBGRAPH_SECRET must be a random secret" in done.stderr
