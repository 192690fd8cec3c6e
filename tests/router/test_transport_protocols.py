"""The router process's transports at the byte and status level: GraphQL over HTTP (negotiation, status codes,
CSRF prevention, GraphQL-shaped 4xx), Apollo's multipart framing byte for byte, headers and heartbeats of idle
streams, and the WebSocket handshake, pings and pong timeout."""

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

from router.server.http_protocol import GRAPHQL_RESPONSE_JSON, JSON, negotiate
from router.subscriptions.connection_params import headers_from_params
from router.subscriptions.multipart import MultipartFramer, subscription_part
from tests.router.support.live_subgraph import REPO, RouterProcess, live_subgraph, router_over, subscribed

HEARTBEAT = 1.0  # the routers below: --heartbeat-interval 1, WebSocket pings every 1 s, pong timeout 1 s
AC4_ACCEPT = "application/graphql-response+json,application/json;q=0.9"
MULTIPART_ACCEPT = 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json'
SUB = "subscription($t: String!, $n: Int) { published(topic: $t, limit: $n) { value } }"
PREFLIGHT = {"apollo-require-preflight": "true"}
_topics = itertools.count()


@pytest.fixture(scope="module")
async def live() -> AsyncIterator[str]:
    async with live_subgraph() as url:
        yield url


@pytest.fixture(scope="module")
async def router(live: str) -> AsyncIterator[RouterProcess]:
    args = ("--heartbeat-interval", str(HEARTBEAT), "--ws-ping-interval", "1", "--ws-pong-timeout", "1")
    async with router_over(live, *args) as r:
        yield r


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def _topic() -> str:
    return f"p{next(_topics)}"


async def _publish(http: aiohttp.ClientSession, url: str, topic: str, value: float) -> None:
    q = "mutation($t: String!, $v: Float!) { publish(topic: $t, value: $v) }"
    async with http.post(url, json={"query": q, "variables": {"t": topic, "v": value}}) as r:
        assert (await r.json())["data"]["publish"] >= 1


# -- content negotiation and status codes ----------------------------------------------------------------
def test_accept_negotiation() -> None:
    assert negotiate(None).single == JSON
    assert negotiate("*/*").single == JSON
    assert negotiate("application/*").single == JSON
    assert negotiate(AC4_ACCEPT).single == GRAPHQL_RESPONSE_JSON
    assert (
        negotiate("application/json, application/graphql-response+json").single == JSON
    )  # order breaks ties
    assert (
        negotiate("application/json;q=0.5, application/graphql-response+json").single == GRAPHQL_RESPONSE_JSON
    )
    assert negotiate("text/html").single is None
    assert negotiate("application/graphql-response+json;q=0, application/json").single == JSON
    m = negotiate(MULTIPART_ACCEPT)
    assert m.multipart_subscription and not m.multipart_defer and m.single == JSON
    d = negotiate("multipart/mixed;deferSpec=20220824,application/json")
    assert d.multipart_defer and not d.multipart_subscription
    assert negotiate("text/event-stream").event_stream and negotiate("text/event-stream").single is None


async def test_response_media_type_and_status_follow_accept(
    router: RouterProcess, http: aiohttp.ClientSession
) -> None:
    async def post(body: Any, accept: str | None) -> tuple[int, str, dict[str, Any]]:
        headers = {"content-type": "application/json"} | ({"accept": accept} if accept else {})
        async with http.post(router.url, data=json.dumps(body), headers=headers) as r:
            return r.status, r.headers["content-type"], json.loads(await r.read())

    assert await post({"query": "{ hello }"}, AC4_ACCEPT) == (
        200,
        GRAPHQL_RESPONSE_JSON,
        {"data": {"hello": "world"}},
    )
    assert await post({"query": "{ hello }"}, None) == (200, JSON, {"data": {"hello": "world"}})
    # A validation error: 400 without `data` under graphql-response+json, 200 under application/json.
    status, media, body = await post({"query": "{ nope }"}, AC4_ACCEPT)
    assert (status, media) == (400, GRAPHQL_RESPONSE_JSON) and "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    status, media, body = await post({"query": "{ nope }"}, "application/json")
    assert (status, media) == (200, JSON) and body["errors"][0]["extensions"][
        "code"
    ] == "GRAPHQL_VALIDATION_FAILED"
    # Not well-formed requests are 400 under either media type.
    for bad in ({"query": "{ hello }", "extensions": "x"}, {"query": 1}, {"variables": {}}, [1]):
        for accept in (AC4_ACCEPT, "application/json"):
            status, _, body = await post(bad, accept)
            assert status == 400 and body["errors"][0]["extensions"]["code"] == "BAD_REQUEST", (bad, accept)
    status, _, body = await post({"query": "{ hello }"}, "text/html")
    assert status == 406 and body["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


async def test_malformed_requests_get_graphql_shaped_4xx(
    router: RouterProcess, http: aiohttp.ClientSession
) -> None:
    async def code(resp: aiohttp.ClientResponse) -> tuple[int, str]:
        body = json.loads(await resp.read())  # every refusal is JSON, never plain text
        return resp.status, body["errors"][0]["extensions"]["code"]

    query = json.dumps({"query": "{ hello }"}).encode()
    async with http.post(router.url, data=query, skip_auto_headers=("Content-Type",)) as r:
        assert await code(r) == (415, "BAD_REQUEST")  # no content type
    for form in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        async with http.post(router.url, data=query, headers={"content-type": form}) as r:
            assert await code(r) == (415, "BAD_REQUEST"), form  # a cross-site form post never runs
    async with http.post(router.url, headers={"content-type": "application/json"}) as r:
        assert await code(r) == (400, "BAD_REQUEST")  # no body
    big = b'{"query": "{ hello }", "variables": {"x": "' + b"a" * (9 * 1024 * 1024) + b'"}}'
    async with http.post(router.url, data=big, headers={"content-type": "application/json"}) as r:
        assert await code(r) == (413, "PAYLOAD_TOO_LARGE")

    async def chunked() -> AsyncIterator[bytes]:
        for _ in range(9):
            yield b" " * (1024 * 1024)

    async with http.post(router.url, data=chunked(), headers={"content-type": "application/json"}) as r:
        assert await code(r) == (413, "PAYLOAD_TOO_LARGE")  # no Content-Length: refused while reading
    async with http.patch(router.url, data=query, headers={"content-type": "application/json"}) as r:
        assert await code(r) == (405, "METHOD_NOT_ALLOWED") and "POST" in r.headers["allow"]
    async with http.get(
        router.url, params={"query": "{ hello }", "variables": "{nope"}, headers=PREFLIGHT
    ) as r:
        assert await code(r) == (400, "BAD_REQUEST")
    mutation = {"query": 'mutation { publish(topic: "x", value: 1) }'}
    async with http.get(router.url, params=mutation, headers=PREFLIGHT) as r:
        assert r.status == 405 and r.headers["allow"] == "POST"


async def test_get_queries_with_variables_and_extensions(
    router: RouterProcess, http: aiohttp.ClientSession
) -> None:
    params = {
        "query": "query Q($t: String!) { __type(name: $t) { name } hello }",
        "variables": json.dumps({"t": "Reading"}),
        "extensions": json.dumps({"persistedQuery": None}),
        "operationName": "Q",
    }
    async with http.get(router.url, params=params, headers=PREFLIGHT | {"accept": AC4_ACCEPT}) as r:
        assert r.status == 200 and r.headers["content-type"] == GRAPHQL_RESPONSE_JSON
        assert await r.json(content_type=None) == {"data": {"__type": {"name": "Reading"}, "hello": "world"}}


async def test_csrf_prevention_on_get(router: RouterProcess, http: aiohttp.ClientSession) -> None:
    q = {"query": "{ hello }"}
    async with http.get(router.url, params=q) as r:  # what an <img src> or a link from another site sends
        body = await r.json()
        assert r.status == 400 and "Cross-Site Request Forgery" in body["errors"][0]["message"]
    async with http.get(router.url, params=q, headers={"content-type": "text/plain"}) as r:
        assert r.status == 400
    for ok in (PREFLIGHT, {"x-apollo-operation-name": "Q"}, {"content-type": "application/json"}):
        async with http.get(router.url, params=q, headers=ok) as r:
            assert r.status == 200 and await r.json() == {"data": {"hello": "world"}}, ok
    async with http.get(router.url, headers={"accept": "text/html"}) as r:
        assert r.status == 200  # GraphiQL itself runs nothing


# -- the spec's own audit --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None or not (REPO / "tools/node/node_modules/graphql-http").exists():
        pytest.skip("Node.js and tools/node/node_modules are needed (tools/ci-extras.sh installs them)")
    return path


async def _audit(node: str, url: str) -> tuple[int, list[str]]:
    proc = await asyncio.create_subprocess_exec(
        node, str(REPO / "tools/node/http-audit.mjs"), url, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode().splitlines()


async def test_graphql_http_audit(router: RouterProcess, live: str, node: str) -> None:
    """61 of 61 with CSRF prevention off (as `make http-audit` runs it). With the default prevention exactly
    the three GET audits that send no preflight header are refused (MAY-level notices): requests like those
    are what a cross-site page can make a browser send."""
    async with router_over(live, "--no-csrf-prevention") as open_router:
        code, lines = await _audit(node, open_router.url)
    assert code == 0 and lines[-1] == "graphql-http audit: ok 61, notice 0, warn 0, error 0 of 61", lines
    code, lines = await _audit(node, router.url)
    not_ok = [ln.split()[:2] for ln in lines[:-1] if not ln.startswith("ok")]
    assert sorted(not_ok) == [["notice", "5A70"], ["notice", "6A70"], ["notice", "D6D5"]], lines
    assert all("(HTTP 400)" in ln for ln in lines[:-1] if not ln.startswith("ok"))


# -- Apollo's multipart framing, byte for byte -----------------------------------------------------------
# The reference: Apollo Router's own framing tests (apollo-router/src/protocols/multipart.rs,
# test_heartbeat_and_boundaries and test_empty_stream) give these exact chunks.
APOLLO_FIRST_HEARTBEAT = b"\r\n--graphql\r\ncontent-type: application/json\r\n\r\n{}\r\n--graphql"
APOLLO_HEARTBEAT = b"\r\ncontent-type: application/json\r\n\r\n{}\r\n--graphql"
APOLLO_FIRST = (
    b'\r\n--graphql\r\ncontent-type: application/json\r\n\r\n{"payload":{"data":"foo"}}\r\n--graphql'
)
APOLLO_NEXT = b'\r\ncontent-type: application/json\r\n\r\n{"payload":{"data":"bar"}}\r\n--graphql'
APOLLO_END = b"--\r\n"
APOLLO_EMPTY = b"\r\n--graphql\r\ncontent-type: application/json\r\n\r\n{}\r\n--graphql--\r\n"


def test_multipart_framing_matches_apollo_router() -> None:
    f = MultipartFramer()
    assert f.part(subscription_part({"data": "foo"})[0]) == APOLLO_FIRST
    assert f.part(subscription_part({"data": "bar"})[0]) == APOLLO_NEXT
    assert f.heartbeat() == APOLLO_HEARTBEAT
    assert f.end() == APOLLO_END
    assert MultipartFramer().heartbeat() == APOLLO_FIRST_HEARTBEAT
    assert MultipartFramer().end() == APOLLO_EMPTY
    body, last = subscription_part({"errors": [{"message": "gone"}]})
    assert last and body == b'{"payload":null,"errors":[{"message":"gone"}]}'
    assert MultipartFramer().part(body, last=True).endswith(b"\r\n--graphql--\r\n")


async def test_multipart_subscription_bytes_on_the_wire(
    router: RouterProcess, http: aiohttp.ClientSession
) -> None:
    topic = _topic()
    chunks: list[bytes] = []
    async with http.post(
        router.url,
        json={"query": SUB, "variables": {"t": topic, "n": 2}},
        headers={"accept": MULTIPART_ACCEPT},
    ) as r:
        assert r.headers["content-type"] == 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0'
        await subscribed(topic)
        await _publish(http, router.url, topic, 1.0)
        await _publish(http, router.url, topic, 2.0)
        async for chunk in r.content.iter_any():
            chunks.append(chunk)
    wire = b"".join(chunks)
    assert wire.startswith(APOLLO_FIRST_HEARTBEAT)  # headers and a heartbeat at once
    rest = wire[len(APOLLO_FIRST_HEARTBEAT) :].replace(APOLLO_HEARTBEAT, b"")  # later heartbeats: timing
    head = b"\r\ncontent-type: application/json\r\n\r\n"
    assert rest == (
        head
        + b'{"payload":{"data":{"published":{"value":1.0}}}}\r\n--graphql'
        + head
        + b'{"payload":{"data":{"published":{"value":2.0}}}}\r\n--graphql'
        + APOLLO_END
    )


# -- idle streams: headers at once, heartbeats within the interval ---------------------------------------
@pytest.mark.parametrize(
    ("accept", "first", "beat"),
    [
        (MULTIPART_ACCEPT, APOLLO_FIRST_HEARTBEAT, APOLLO_HEARTBEAT),
        ("text/event-stream", b":\n\n", b":\n\n"),
    ],
)
async def test_idle_subscription_gets_headers_and_heartbeats(
    router: RouterProcess, http: aiohttp.ClientSession, accept: str, first: bytes, beat: bytes
) -> None:
    t0 = time.monotonic()
    async with http.post(
        router.url, json={"query": SUB, "variables": {"t": _topic()}}, headers={"accept": accept}
    ) as r:
        assert r.status == 200
        assert time.monotonic() - t0 < 0.5, "headers must not wait for the first event"
        assert await asyncio.wait_for(r.content.readexactly(len(first)), 0.5) == first
        t1 = time.monotonic()
        for _ in range(2):
            assert await asyncio.wait_for(r.content.readexactly(len(beat)), HEARTBEAT + 0.5) == beat
        assert time.monotonic() - t1 < 2 * HEARTBEAT + 0.5


# -- WebSocket -------------------------------------------------------------------------------------------
async def test_websocket_subprotocol_is_refused_in_the_handshake(
    router: RouterProcess, http: aiohttp.ClientSession
) -> None:
    for protocols in (("foo",), ()):
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await http.ws_connect(router.url, protocols=protocols)
        assert err.value.status == 400
    async with http.ws_connect(router.url, protocols=("foo", "graphql-ws")) as ws:
        assert ws.protocol == "graphql-ws"  # the first offered that the router speaks


async def test_websocket_pings_and_closes_a_silent_client(
    router: RouterProcess, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(router.url, protocols=("graphql-transport-ws",)) as ws:
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=2))["type"] == "connection_ack"
        t0 = time.monotonic()
        assert (await ws.receive_json(timeout=2)) == {"type": "ping"}
        await ws.send_json({"type": "pong"})
        assert (await ws.receive_json(timeout=2)) == {"type": "ping"}  # answered: still open, pinged again
        msg = await ws.receive(timeout=4)  # not answered: closed after the pong timeout
        assert msg.type == aiohttp.WSMsgType.CLOSE and ws.close_code == 1001
        assert time.monotonic() - t0 < 4.5


async def test_legacy_protocol_keepalive_and_pong_timeout(
    router: RouterProcess, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(router.url, protocols=("graphql-ws",), autoping=False) as ws:
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=2))["type"] == "connection_ack"
        assert (await ws.receive_json(timeout=2))["type"] == "ka"
        kinds = []
        while True:
            msg = await ws.receive(timeout=5)
            kinds.append(msg.type)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                break
        assert aiohttp.WSMsgType.PING in kinds  # a ping frame this client never answers ...
        assert ws.close_code == 1001  # ... so the router closes the socket


def test_connection_params_token_shapes() -> None:
    handshake = {"Accept-Language": "ko"}
    for params in (
        {"Authorization": "Bearer t"},
        {"authorization": "Bearer t"},
        {"headers": {"Authorization": "Bearer t"}},
        {"authToken": "t"},
        {"token": "t"},
        {"accessToken": "Bearer t"},
        {"Authorization": "t"},
    ):
        got = headers_from_params(handshake, params)
        assert got["authorization"] == "Bearer t", params
        assert got["accept-language"] == "ko"
    assert "authorization" not in headers_from_params(handshake, {"token": 5, "other": "x"})
    assert headers_from_params(handshake, None) == {"accept-language": "ko"}
