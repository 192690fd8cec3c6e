"""A Strawberry subgraph whose subscription events are caused by its mutation, and the router as a process
over it: for tests that time an event from the mutation that caused it, through real clients."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import strawberry
from aiohttp import web
from strawberry.aiohttp.views import GraphQLView

REPO = Path(__file__).resolve().parents[3]
SUBSCRIBERS: dict[str, set[asyncio.Queue[float]]] = {}


@strawberry.type
class Reading:
    topic: str
    value: float
    authorization: str | None  # what reached the subgraph: the router passes the client's token on


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


@strawberry.type
class Mutation:
    @strawberry.mutation
    def publish(self, topic: str, value: float) -> int:
        queues = SUBSCRIBERS.get(topic, set())
        for q in queues:
            q.put_nowait(value)
        return len(queues)


def _authorization(info: strawberry.Info) -> str | None:
    params = info.context.get("connection_params") or {}
    value = params.get("Authorization") or params.get("authorization") if isinstance(params, dict) else None
    return value if isinstance(value, str) else None


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def published(
        self, info: strawberry.Info, topic: str, limit: int | None = None
    ) -> AsyncGenerator[Reading, None]:
        """Every value published to `topic`; with `limit`, completes after that many."""
        q: asyncio.Queue[float] = asyncio.Queue()
        SUBSCRIBERS.setdefault(topic, set()).add(q)
        try:
            sent = 0
            while limit is None or sent < limit:
                value = await q.get()
                yield Reading(topic=topic, value=value, authorization=_authorization(info))
                sent += 1
        finally:
            SUBSCRIBERS[topic].discard(q)


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, subscription=Subscription, federation_version="2.7"
)


class _View(GraphQLView):  # type: ignore[misc]
    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        return {"request": request, "response": response}


async def subscribed(topic: str, count: int = 1, wait: float = 15.0) -> None:
    """Waits until `count` subscriptions to `topic` are live in the subgraph."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while len(SUBSCRIBERS.get(topic, ())) < count:
        if loop.time() > deadline:
            raise TimeoutError(f"no subscription to {topic!r} reached the subgraph")
        await asyncio.sleep(0.01)


@asynccontextmanager
async def live_subgraph() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/graphql", _View(schema=schema))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        await runner.cleanup()


@dataclass
class RouterProcess:
    proc: asyncio.subprocess.Process
    url: str  # .../graphql


@asynccontextmanager
async def router_over(subgraph_url: str, *args: str) -> AsyncIterator[RouterProcess]:
    """`python -m router serve` over the live subgraph, with extra CLI arguments."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "router",
        "serve",
        "--subgraph",
        f"live={subgraph_url}",
        "--port",
        "0",
        *args,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert line.startswith("router ready on http://"), line
        yield RouterProcess(proc, line.split(" on ", 1)[1].strip())
    finally:
        if proc.returncode is None:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 10)
