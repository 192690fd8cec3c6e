"""The router as a process: `python -m router serve`, its HTTP surface, headers and shutdown."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from tests.router.conftest import running_subgraphs
from tests.router.support.scenario import SCENARIOS, load_scenario

REPO = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def router_process(*args: str) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "router",
        *args,
        "--port",
        "0",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert line.startswith("router ready on http://127.0.0.1:"), line
        yield proc, line.split(" on ", 1)[1].strip()
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 10)


@pytest.fixture
async def shop() -> AsyncIterator[dict[str, object]]:
    sc = load_scenario(SCENARIOS / "requires-provides")
    async with running_subgraphs(sc.sdls, sc.data) as subs:
        yield subs  # type: ignore[misc]


def _subgraph_args(subs: dict[str, object]) -> list[str]:
    out: list[str] = []
    for name, s in subs.items():
        out += ["--subgraph", f"{name}={s.url}"]  # type: ignore[attr-defined]
    return out


async def test_serve_from_subgraphs_answers_and_forwards_headers(shop: dict[str, object]) -> None:
    async with router_process("serve", *_subgraph_args(shop)) as (_, url), aiohttp.ClientSession() as http:
        base = url.rsplit("/", 1)[0]
        async with http.get(f"{base}/health") as r:
            assert r.status == 200 and await r.json() == {"status": "ok"}
        async with http.get(f"{base}/ready") as r:
            assert r.status == 200
        headers = {"Authorization": "Bearer t0k", "Accept-Language": "ko", "traceparent": "00-abc-def-01"}
        query = "{ topProducts(first: 1) { name reviews { author { name } } } }"
        async with http.post(url, json={"query": query}, headers=headers) as r:
            assert r.status == 200
            assert await r.json() == {
                "data": {
                    "topProducts": [
                        {
                            "name": "Table",
                            "reviews": [{"author": {"name": "Ada Lovelace"}}, {"author": {"name": "Bob"}}],
                        }
                    ]
                }
            }
        sent = shop["accounts"].requests[-1]["headers"]  # type: ignore[attr-defined]
        assert sent["authorization"] == "Bearer t0k"
        assert sent["accept-language"] == "ko"
        assert sent["traceparent"] == "00-abc-def-01"
        request_ids = {
            r["headers"]["x-request-id"]
            for sub in shop.values()
            for r in sub.requests  # type: ignore[attr-defined]
            if "_service" not in r["body"]["query"]
        }
        assert len(request_ids) == 1, "one generated request id, the same for every fetch"
        preflighted = {"apollo-require-preflight": "true"}  # GET operations need it (CSRF prevention)
        async with http.get(
            url, params={"query": "{ topProducts(first: 1) { upc } }"}, headers=preflighted
        ) as r:
            assert await r.json() == {"data": {"topProducts": [{"upc": "1"}]}}
        async with http.get(url, headers={"Accept": "text/html"}) as r:
            assert r.status == 200 and "graphiql" in (await r.text()).lower()


async def test_client_errors_are_graphql_responses(shop: dict[str, object]) -> None:
    async with router_process(*_subgraph_args(shop)) as (_, url), aiohttp.ClientSession() as http:

        async def post(
            body: object, accept: str = "application/graphql-response+json"
        ) -> tuple[int, dict[str, object]]:
            headers = {"content-type": "application/json", "accept": accept}
            async with http.post(url, data=json.dumps(body), headers=headers) as r:
                return r.status, await r.json()

        status, body = await post({"query": "{ topProducts { "})
        assert status == 400 and body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"  # type: ignore[index]
        status, body = await post({"query": "{ nope }"})
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"  # type: ignore[index]
        status, body = await post(
            {"query": "query($n: Int) { topProducts(first: $n) { upc } }", "variables": {"n": "many"}}
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # type: ignore[index]
        status, body = await post([1, 2])
        assert status == 400 and "errors" in body
        # application/json: GraphQL request errors are answered with 200 (GraphQL over HTTP, legacy clients)
        status, body = await post({"query": "{ nope }"}, accept="application/json")
        assert status == 200 and body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"  # type: ignore[index]
        preflighted = {"apollo-require-preflight": "true", "accept": "application/graphql-response+json"}
        async with http.get(url, params={"query": "mutation { x }"}, headers=preflighted) as r:
            assert r.status in (400, 405)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def test_ready_waits_for_subgraphs_and_sigterm_frees_the_port() -> None:
    with socket.socket() as s:  # a port where nobody answers
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "router",
        "--subgraph",
        f"a=http://127.0.0.1:{dead}/graphql",
        "--port",
        str(port),
        "--wait",
        "30",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/health") as r:
                        assert r.status == 200
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            async with http.get(f"http://127.0.0.1:{port}/ready") as r:
                assert r.status == 503
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    assert _port_free(port)
