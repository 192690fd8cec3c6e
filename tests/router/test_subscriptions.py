"""Subscriptions through the router: WebSocket (graphql-transport-ws), SSE and multipart clients; the
subgraph side over graphql-transport-ws; entity fields of another subgraph resolved per event."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import aiohttp
import pytest
import strawberry
from aiohttp import web
from strawberry.aiohttp.views import GraphQLView

from router.compose import compose
from router.executor import AiohttpTransport
from router.gateway import Gateway
from router.server.app import RouterApp
from router.sources import fetch_subgraph_sdls
from router.subscriptions import SubscriptionHandler
from router.supergraph import load_supergraph


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    email: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return User(id=id, email=f"{id}@example.com")


@strawberry.type
class UsersQuery:
    @strawberry.field
    def user(self, id: strawberry.ID) -> User:
        return User(id=id, email=f"{id}@example.com")


@strawberry.federation.type(keys=["id"], name="User")
class UserRef:
    id: strawberry.ID


@strawberry.type
class Measurement:
    value: float
    user: UserRef


@strawberry.type
class EventsQuery:
    @strawberry.field
    def ping(self) -> str:
        return "pong"


LIVE: set[int] = set()  # upstream subscriptions currently running in the events subgraph


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def measurement_recorded(
        self, info: strawberry.Info, count: int = 3
    ) -> AsyncGenerator[Measurement, None]:
        auth = info.context["request"].headers.get("authorization") or info.context.get(
            "connection_params", {}
        )
        token = id(info)
        LIVE.add(token)
        try:
            for i in range(count):
                yield Measurement(value=float(i), user=UserRef(id=strawberry.ID(f"u{i}" if auth else "anon")))
                await asyncio.sleep(0.01 if count < 100 else 0.2)
        finally:
            LIVE.discard(token)


users_schema = strawberry.federation.Schema(query=UsersQuery, federation_version="2.7")
events_schema = strawberry.federation.Schema(
    query=EventsQuery, subscription=Subscription, types=[UserRef], federation_version="2.7"
)


class _View(GraphQLView):  # type: ignore[misc]
    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        return {"request": request, "response": response}


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def _subgraph_app(schema: Any) -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/graphql", _View(schema=schema))
    return app


@pytest.fixture
async def stack() -> AsyncIterator[dict[str, Any]]:
    users_runner, users_url = await _serve(_subgraph_app(users_schema))
    events_runner, events_url = await _serve(_subgraph_app(events_schema))
    transport = AiohttpTransport(timeout=5)
    sdls = await fetch_subgraph_sdls(
        [("users", users_url + "/graphql", None), ("events", events_url + "/graphql", None)], wait=5
    )
    router_app = RouterApp()
    router_app.gateway = Gateway(load_supergraph(compose(sdls)), transport)
    router_app.ws_handler = SubscriptionHandler(router_app)
    router_runner, router_url = await _serve(router_app.app)
    try:
        yield {"url": router_url + "/graphql", "events_runner": events_runner}
    finally:
        await router_app.ws_handler.close()
        await router_runner.cleanup()
        await transport.close()
        await events_runner.cleanup()
        await users_runner.cleanup()


SUB = "subscription($n: Int) { measurementRecorded(count: $n) { value user { id email } } }"


def _expected(i: int) -> dict[str, Any]:
    return {
        "data": {
            "measurementRecorded": {"value": float(i), "user": {"id": f"u{i}", "email": f"u{i}@example.com"}}
        }
    }


async def test_websocket_subscription_resolves_entities_per_event(stack: dict[str, Any]) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(stack["url"], protocols=("graphql-transport-ws",)) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {"Authorization": "Bearer x"}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        await ws.send_json({"id": "a", "type": "subscribe", "payload": {"query": SUB, "variables": {"n": 3}}})
        got = [await ws.receive_json(timeout=5) for _ in range(4)]
    assert [m["type"] for m in got] == ["next", "next", "next", "complete"]
    assert [m["payload"] for m in got[:3]] == [_expected(i) for i in range(3)]


async def test_sse_subscription(stack: dict[str, Any]) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            stack["url"],
            json={"query": SUB, "variables": {"n": 2}},
            headers={"Accept": "text/event-stream", "Authorization": "Bearer x"},
        ) as r,
    ):
        assert r.headers["content-type"].startswith("text/event-stream")
        text = (await r.read()).decode()
    events = [block for block in text.split("\n\n") if block.strip() and not block.startswith(":")]
    assert events[-1].startswith("event: complete")
    nexts = [json.loads(e.split("data: ", 1)[1]) for e in events if e.startswith("event: next")]
    assert nexts == [_expected(0), _expected(1)]


async def test_multipart_subscription(stack: dict[str, Any]) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            stack["url"],
            json={"query": SUB, "variables": {"n": 2}},
            headers={"Accept": "multipart/mixed;subscriptionSpec=1.0", "Authorization": "Bearer x"},
        ) as r,
    ):
        assert 'boundary="graphql"' in r.headers["content-type"]
        text = (await r.read()).decode()
    assert text.rstrip().endswith("--graphql--")
    parts = [p.split("\r\n\r\n", 1)[1] for p in text.split("--graphql")[1:-1]]
    payloads = [json.loads(p)["payload"] for p in parts if json.loads(p)]
    assert payloads == [_expected(0), _expected(1)]


async def test_subgraph_going_away_ends_the_subscription_with_an_error(stack: dict[str, Any]) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(stack["url"], protocols=("graphql-transport-ws",)) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {"Authorization": "Bearer x"}})
        await ws.receive_json(timeout=5)
        await ws.send_json(
            {"id": "z", "type": "subscribe", "payload": {"query": SUB, "variables": {"n": 1000}}}
        )
        first = await ws.receive_json(timeout=5)
        assert first["type"] == "next"
        # A crash rather than a graceful stop: drop every connection of the subgraph's server.
        for conn in list(stack["events_runner"].server.connections):
            conn.force_close()
        while True:
            m = await ws.receive_json(timeout=10)
            if m["type"] != "next":
                break
    assert m["type"] == "error" and m["id"] == "z"
    assert m["payload"][0]["extensions"]["code"] == "SUBSCRIPTION_UPSTREAM_CLOSED"
    assert m["payload"][0]["extensions"]["serviceName"] == "events"


async def test_client_closing_tears_down_the_upstream_subscription(stack: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(stack["url"], protocols=("graphql-transport-ws",))
        await ws.send_json({"type": "connection_init", "payload": {"Authorization": "Bearer x"}})
        await ws.receive_json(timeout=5)
        await ws.send_json(
            {"id": "c", "type": "subscribe", "payload": {"query": SUB, "variables": {"n": 1000}}}
        )
        assert (await ws.receive_json(timeout=5))["type"] == "next"
        assert LIVE, "the subgraph is streaming"
        await ws.close()
    for _ in range(100):
        if not LIVE:
            break
        await asyncio.sleep(0.05)
    assert not LIVE, "the upstream subscription was not closed"


async def test_complete_message_stops_one_subscription(stack: dict[str, Any]) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(stack["url"], protocols=("graphql-transport-ws",)) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {"Authorization": "Bearer x"}})
        await ws.receive_json(timeout=5)
        await ws.send_json(
            {"id": "s", "type": "subscribe", "payload": {"query": SUB, "variables": {"n": 1000}}}
        )
        assert (await ws.receive_json(timeout=5))["type"] == "next"
        await ws.send_json({"id": "s", "type": "complete"})
        for _ in range(100):
            if not LIVE:
                break
            await asyncio.sleep(0.05)
        assert not LIVE
        await ws.send_json({"type": "ping"})
        while (m := await ws.receive_json(timeout=5))["type"] == "next":
            pass
        assert m == {"type": "pong"}
