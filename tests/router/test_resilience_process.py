"""Resilience through the real router process: a killed subgraph's breaker opens and closes again when it
is back, retries counted at a flaky subgraph, and a graceful shutdown on a real SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from libs.processes import free_port
from tests.router.conftest import running_subgraphs
from tests.router.support.live_subgraph import live_subgraph, subscribed
from tests.router.test_resilience import INVENTORY, INVENTORY_DATA, PRODUCT_DATA, PRODUCTS, data
from tests.router.test_server import router_process

REPO = Path(__file__).resolve().parents[2]
BOTH = "{ shopName topProducts { name inStock } }"
ONLY_PRODUCTS = "{ shopName topProducts { name } }"


@asynccontextmanager
async def subgraph_process(spec: Path, port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.router.support.fixture_process", str(spec), str(port),
        cwd=REPO, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        assert (await asyncio.wait_for(proc.stdout.readline(), 20)).strip() == b"ready"
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def ask(http: aiohttp.ClientSession, url: str, query: str) -> dict[str, Any]:
    async with http.post(url, json={"query": query}) as r:
        assert r.status == 200
        out: dict[str, Any] = await r.json()
        return out


async def breakers(http: aiohttp.ClientSession, url: str) -> dict[str, str]:
    async with http.get(url.rsplit("/", 1)[0] + "/ready") as r:
        body: dict[str, Any] = await r.json()
        return dict(body["breakers"])


async def test_breaker_opens_when_a_subgraph_is_killed_and_closes_after_it_returns(tmp_path: Path) -> None:
    spec = tmp_path / "inventory.json"
    spec.write_text(json.dumps({"name": "inventory", "sdl": INVENTORY, "data": INVENTORY_DATA}))
    port = free_port()
    args = ["--breaker-minimum-calls", "4", "--breaker-reset", "3", "--retry-attempts", "2"]
    async with (
        running_subgraphs({"products": PRODUCTS}, {"products": PRODUCT_DATA}) as subs,
        subgraph_process(spec, port) as inventory,
    ):
        sub_args = ["--subgraph", f"products={subs['products'].url}"]
        sub_args += ["--subgraph", f"inventory=http://127.0.0.1:{port}/graphql"]
        async with router_process("serve", *sub_args, *args) as (_, url), aiohttp.ClientSession() as http:
            full = {"data": {"shopName": "Shop", "topProducts": [{"name": "Table", "inStock": True}]}}
            assert await ask(http, url, BOTH) == full
            assert await breakers(http, url) == {"inventory": "closed", "products": "closed"}

            inventory.kill()
            await inventory.wait()
            # Two tries per request (one retry), each a call of the breaker: after the first request 1 success
            # and 2 failures (under the minimum of 4); the next try makes 3 failed of 4: open, and the retry
            # of that request is refused already.
            reasons = []
            opened_within: tuple[float, float] | None = None  # the request during which it opened
            for _ in range(3):
                started = time.monotonic()
                out = await ask(http, url, BOTH)
                assert out["data"] == {"shopName": "Shop", "topProducts": None}  # inStock is Boolean!
                ext = out["errors"][0]["extensions"]
                assert ext["code"] == "SUBGRAPH_UNAVAILABLE" and ext["serviceName"] == "inventory"
                reasons.append(ext["reason"])
                if ext["reason"] == "CIRCUIT_OPEN" and opened_within is None:
                    opened_within = (started, time.monotonic())
            assert reasons == ["CONNECTION", "CIRCUIT_OPEN", "CIRCUIT_OPEN"]
            assert await breakers(http, url) == {"inventory": "open", "products": "closed"}

            # Open: refused at once; what does not touch inventory answers in full.
            for _ in range(5):
                started = time.monotonic()
                out = await ask(http, url, BOTH)
                assert time.monotonic() - started < 0.5
                assert out["errors"][0]["extensions"]["reason"] == "CIRCUIT_OPEN"
                assert 0 < out["errors"][0]["extensions"]["retryAfter"] <= 3
            assert await ask(http, url, ONLY_PRODUCTS) == {
                "data": {"shopName": "Shop", "topProducts": [{"name": "Table"}]}
            }

            assert opened_within is not None
            async with subgraph_process(spec, port):
                # Restarted within the reset time: still refused.
                if time.monotonic() - opened_within[1] < 2.5:
                    out = await ask(http, url, BOTH)
                    assert out["errors"][0]["extensions"]["reason"] == "CIRCUIT_OPEN"
                deadline = time.monotonic() + 10
                while (await breakers(http, url))["inventory"] != "half_open":
                    assert time.monotonic() < deadline, "the breaker never half-opened"
                    await asyncio.sleep(0.1)
                assert time.monotonic() - opened_within[0] >= 3
                assert await ask(http, url, BOTH) == full  # the trial call succeeded ...
                assert await breakers(http, url) == {"inventory": "closed", "products": "closed"}
                assert await ask(http, url, BOTH) == full  # ... and it stays closed


async def test_the_router_retries_a_query_but_never_a_mutation() -> None:
    d = data(inventory={"fail": {"status": 503, "times": 2}})
    async with running_subgraphs({"products": PRODUCTS, "inventory": INVENTORY}, d) as subs:
        sub_args = [a for n, s in subs.items() for a in ("--subgraph", f"{n}={s.url}")]
        async with router_process("serve", *sub_args) as (_, url), aiohttp.ClientSession() as http:
            inv, prod = subs["inventory"], subs["products"]
            inv.requests.clear()
            out = await ask(http, url, "{ topProducts { inStock } }")
            assert out == {"data": {"topProducts": [{"inStock": True}]}}
            assert len(inv.requests) == 3  # 503, 503, answer

            prod.requests.clear()
            prod.data["fail"] = {"status": 503, "times": 1}
            out = await ask(http, url, 'mutation { rename(name: "x") }')
            assert len(prod.requests) == 1
            assert out["data"] == {"rename": None}
            assert out["errors"][0]["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"


SLOW = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { slow: String }
"""
TOPIC = "drain"
TOKEN = "x-graphql-event-stream-token"
SUB = '{"query": "subscription { published(topic: \\"drain\\") { value } }"}'


async def _read_all(resp: aiohttp.ClientResponse) -> str:
    return (await resp.read()).decode()


async def test_sigterm_drains_requests_refuses_new_connections_and_closes_subscriptions() -> None:
    async with (
        live_subgraph() as live_url,
        running_subgraphs({"slow": SLOW}, {"slow": {"Query": {"slow": "done"}, "delay": 2.5}}) as subs,
    ):
        sub_args = ["--subgraph", f"live={live_url}", "--subgraph", f"slow={subs['slow'].url}"]
        sub_args += ["--drain-timeout", "8", "--query-timeout", "10"]
        async with (
            router_process("serve", *sub_args) as (proc, url),
            aiohttp.ClientSession() as http,
        ):
            body = json.loads(SUB)
            ws = await http.ws_connect(url, protocols=("graphql-transport-ws",))
            await ws.send_json({"type": "connection_init", "payload": {}})
            assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
            await ws.send_json({"id": "1", "type": "subscribe", "payload": body})
            sse = await http.post(url, json=body, headers={"Accept": "text/event-stream"})
            multipart = await http.post(
                url, json=body, headers={"Accept": "multipart/mixed;subscriptionSpec=1.0"}
            )
            sse_text = asyncio.ensure_future(_read_all(sse))
            multipart_text = asyncio.ensure_future(_read_all(multipart))
            # graphql-sse, single connection: reserve, open the stream, put an operation onto it.
            async with http.put(url) as r:
                token = await r.text()
            stream = await http.get(url, headers={"Accept": "text/event-stream", TOKEN: token})
            single_text = asyncio.ensure_future(_read_all(stream))
            on_stream = {**body, "extensions": {"operationId": "op1"}}
            async with http.post(url, json=on_stream, headers={TOKEN: token}) as r:
                assert r.status == 202
            await subscribed(TOPIC, 4)

            slow = asyncio.ensure_future(ask(http, url, "{ slow }"))
            await asyncio.sleep(0.4)  # in flight at the subgraph
            proc.send_signal(signal.SIGTERM)

            closing = await ws.receive(timeout=5)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert ws.close_code == 1001
            text = await asyncio.wait_for(sse_text, 5)
            events = [e for e in text.split("\n\n") if e.strip() and not e.startswith(":")]
            assert events[-1].startswith("event: complete")
            last = json.loads(events[-2].split("data: ", 1)[1])
            assert last["errors"][0]["extensions"]["code"] == "SHUTTING_DOWN"
            text = await asyncio.wait_for(single_text, 5)
            events = [e for e in text.split("\n\n") if e.strip() and not e.startswith(":")]
            assert [e.split("\n", 1)[0] for e in events] == ["event: next", "event: complete"]
            last = json.loads(events[0].split("data: ", 1)[1])
            assert last["id"] == "op1"
            assert last["payload"]["errors"][0]["extensions"]["code"] == "SHUTTING_DOWN"
            text = await asyncio.wait_for(multipart_text, 5)
            assert text.endswith("--graphql--\r\n")
            assert json.loads(text.split("\r\n\r\n")[-1].split("\r\n")[0])["errors"][0]["extensions"] == {
                "code": "SHUTTING_DOWN"
            }

            # New connections are refused while the slow request is still being answered.
            refused = False
            async with aiohttp.ClientSession() as fresh:
                deadline = time.monotonic() + 2
                while not refused and time.monotonic() < deadline:
                    try:
                        async with fresh.get(url.rsplit("/", 1)[0] + "/health"):
                            pass
                        await asyncio.sleep(0.05)
                    except aiohttp.ClientConnectorError:
                        refused = True
            assert refused
            assert not slow.done()
            assert await asyncio.wait_for(slow, 5) == {"data": {"slow": "done"}}
            assert await asyncio.wait_for(proc.wait(), 10) == 0
            await ws.close()
