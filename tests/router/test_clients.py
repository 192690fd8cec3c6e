"""The router process driven by the clients apps use: Python's gql (HTTP, both WebSocket subprotocols)
and, where Node.js is present, graphql-ws, graphql-sse (both modes), Apollo Client (multipart subscriptions,
GraphQLWsLink, HttpLink queries) and subscriptions-transport-ws. Every subscription event must arrive
within 200 ms of the mutation that caused it, on every transport."""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from tests.router.support.live_subgraph import REPO, RouterProcess, live_subgraph, router_over, subscribed

NODE_DIR = REPO / "tools" / "node"
LATENCY_LIMIT = 0.2  # seconds from sending the mutation to the event at the client
SUB = "subscription($t: String!) { published(topic: $t) { topic value authorization } }"
MUTATION = "mutation($t: String!, $v: Float!) { publish(topic: $t, value: $v) }"
_topics = itertools.count()


@pytest.fixture(scope="module")
async def router() -> AsyncIterator[RouterProcess]:
    async with (
        live_subgraph() as sub_url,
        router_over(
            sub_url, "--heartbeat-interval", "1", "--ws-ping-interval", "1", "--ws-pong-timeout", "1"
        ) as r,
    ):
        yield r


def _topic() -> str:
    return f"t{next(_topics)}"


async def _publish(url: str, topic: str, value: float) -> float:
    """Sends the mutation through the router; returns when it was sent (monotonic clock)."""
    t0 = time.monotonic()
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json={"query": MUTATION, "variables": {"t": topic, "v": value}}) as r,
    ):
        assert r.status == 200, await r.text()
        assert (await r.json())["data"]["publish"] >= 1
    return t0


# -- Python: gql -----------------------------------------------------------------------------------------
async def test_gql_over_http_queries_mutations_and_errors(router: RouterProcess) -> None:
    async with Client(transport=AIOHTTPTransport(url=router.url)) as session:
        assert await session.execute(gql("{ hello }")) == {"hello": "world"}
        assert await session.execute(gql(MUTATION), variable_values={"t": "nobody", "v": 1.0}) == {
            "publish": 0
        }
        with pytest.raises(TransportQueryError) as err:
            await session.execute(gql("query($t: String!) { hello(x: $t) }"), variable_values={"t": "x"})
    assert err.value.errors and err.value.errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    ("subprotocol", "init"),
    [
        (WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, {"Authorization": "Bearer tok-a"}),
        (
            WebsocketsTransport.APOLLO_SUBPROTOCOL,
            {"authToken": "tok-a"},
        ),  # legacy protocol, Apollo docs' shape
    ],
)
async def test_gql_over_websocket_events_within_200ms(
    router: RouterProcess, subprotocol: str, init: dict[str, str]
) -> None:
    topic = _topic()
    transport = WebsocketsTransport(
        url=router.url.replace("http", "ws"), subprotocols=[subprotocol], init_payload=init
    )
    async with Client(transport=transport) as session:
        assert transport.subprotocol == subprotocol
        events = session.subscribe(gql(SUB), variable_values={"t": topic})
        first = asyncio.ensure_future(anext(events))
        await subscribed(topic)
        for value in (1.0, 2.0):
            t0 = await _publish(router.url, topic, value)
            result = await asyncio.wait_for(first, 5)
            elapsed = time.monotonic() - t0
            assert result == {"published": {"topic": topic, "value": value, "authorization": "Bearer tok-a"}}
            assert elapsed < LATENCY_LIMIT, f"{subprotocol}: event {elapsed * 1000:.0f} ms after the mutation"
            first = asyncio.ensure_future(anext(events))
        first.cancel()
        if subprotocol == WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL:
            transport.ping_received.clear()
            await asyncio.wait_for(transport.ping_received.wait(), 2.5)  # the router pings every second


# -- Node.js clients -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None or not (NODE_DIR / "node_modules" / "graphql-sse").exists():
        pytest.skip("Node.js and tools/node/node_modules are needed (tools/ci-extras.sh installs them)")
    return path


class NodeClient:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def line(self, wait: float = 10.0) -> dict[str, Any]:
        assert self.proc.stdout is not None
        raw = await asyncio.wait_for(self.proc.stdout.readline(), wait)
        if not raw:
            assert self.proc.stderr is not None
            raise AssertionError(f"node client ended: {(await self.proc.stderr.read()).decode()[-2000:]}")
        msg: dict[str, Any] = json.loads(raw)
        return msg

    async def next_event(self, wait: float = 10.0) -> dict[str, Any]:
        while True:
            msg = await self.line(wait)
            if "next" in msg:
                return msg
            assert "error" not in msg, msg


async def _node_client(node: str, client: str, url: str, *args: str) -> NodeClient:
    proc = await asyncio.create_subprocess_exec(
        node,
        str(NODE_DIR / "subscribe.mjs"),
        client,
        url,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    return NodeClient(proc)


async def _stop(c: NodeClient) -> None:
    if c.proc.returncode is None:
        c.proc.kill()
    await c.proc.wait()


NODE_SUBSCRIPTION_CLIENTS = [
    "graphql-ws",
    "graphql-sse-distinct",
    "graphql-sse-single",
    "apollo-multipart",
    "apollo-ws",
    "subscriptions-transport-ws",
]


@pytest.mark.parametrize("client", NODE_SUBSCRIPTION_CLIENTS)
async def test_node_client_events_within_200ms(router: RouterProcess, node: str, client: str) -> None:
    topic = _topic()
    # The token as each client family sends it: headers over HTTP, connectionParams over sockets.
    params = (
        {"authorization": "Bearer tok-n"}
        if client.startswith(("graphql-sse", "apollo-multipart"))
        else {"Authorization": "Bearer tok-n"}
    )
    c = await _node_client(node, client, router.url, SUB, json.dumps({"t": topic}), json.dumps(params))
    try:
        await subscribed(topic)
        for value in (1.5, 2.5, 3.5):
            t0 = await _publish(router.url, topic, value)
            msg = await c.next_event()
            elapsed = time.monotonic() - t0
            published = {k: v for k, v in msg["next"]["data"]["published"].items() if k != "__typename"}
            assert {"published": published} == {
                "published": {"topic": topic, "value": value, "authorization": "Bearer tok-n"}
            }, msg
            assert elapsed < LATENCY_LIMIT, f"{client}: event {elapsed * 1000:.0f} ms after the mutation"
    finally:
        await _stop(c)
    await subscribed(topic, 0)  # the client is gone: so is the upstream subscription


async def test_graphql_ws_client_answers_the_routers_pings(router: RouterProcess, node: str) -> None:
    topic = _topic()
    c = await _node_client(node, "graphql-ws", router.url, SUB, json.dumps({"t": topic}))
    try:
        await subscribed(topic)
        started = time.monotonic()
        while "ping" not in (msg := await c.line(wait=3)):
            assert "error" not in msg, msg
        assert time.monotonic() - started < 2.5  # interval 1 s
        # Answered with pongs, the socket outlives several pong timeouts (1 s each).
        await asyncio.sleep(3)
        t0 = await _publish(router.url, topic, 9.0)
        await c.next_event()
        assert time.monotonic() - t0 < LATENCY_LIMIT
    finally:
        await _stop(c)


async def test_apollo_client_4_queries_see_graphql_errors(router: RouterProcess, node: str) -> None:
    """Apollo Client 4 asks for application/graphql-response+json first: a validation error must reach the app
    as GraphQL errors (CombinedGraphQLErrors), not as a bare HTTP failure."""
    c = await _node_client(node, "apollo-query", router.url, "{ hello }")
    try:
        assert (await c.line())["next"]["data"] == {"hello": "world"}
    finally:
        await _stop(c)
    c = await _node_client(node, "apollo-query", router.url, "{ hello nope }")
    try:
        msg = await c.line()
    finally:
        await _stop(c)
    assert msg["name"] == "CombinedGraphQLErrors", msg
    assert msg["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
