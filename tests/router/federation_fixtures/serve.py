"""Serves fixture sets over HTTP on one free port: `python -m tests.router.federation_fixtures.serve SET...`.

Prints one JSON line `{"set": {"subgraph": url}}` once listening (down subgraphs get a closed port),
then serves until SIGTERM/SIGINT. Every subgraph answers POST /<set>/<subgraph>/graphql. GET /_requests
returns the number of requests each subgraph got (`{"set/subgraph": n}`) and of entity representations
sent (`"representations"`), and resets the counts.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

from aiohttp import web
from graphql import graphql

from tests.router.federation_fixtures import DOWN_URL, SETS, load_set
from tests.router.federation_fixtures.fixture import Fixture


def handler(fx: Fixture, counts: dict[str, int], label: str) -> Any:
    async def handle(request: web.Request) -> web.Response:
        counts[label] = counts.get(label, 0) + 1
        if fx.broken:
            return web.Response(status=500, text="upstream exploded")
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"errors": [{"message": "body is not JSON"}]}, status=400)
        for name, value in (body.get("variables") or {}).items():
            if name.endswith("representations") and isinstance(value, list):  # Hive: `_0_representations`
                counts["representations"] = counts.get("representations", 0) + len(value)
        res = await graphql(
            fx.schema,
            body.get("query") or "",
            variable_values=body.get("variables"),
            operation_name=body.get("operationName"),
            field_resolver=fx.resolve,
        )
        out: dict[str, Any] = {}
        if res.errors:
            out["errors"] = [e.formatted for e in res.errors]
        out["data"] = res.data
        return web.json_response(out)

    return handle


async def main(names: list[str]) -> None:
    app = web.Application()
    routes: dict[str, dict[str, str]] = {}
    counts: dict[str, int] = {}

    async def requests(_: web.Request) -> web.Response:
        out = dict(counts)
        counts.clear()
        return web.json_response(out)

    app.router.add_get("/_requests", requests)
    for name in names:
        subgraphs, down = load_set(name)
        routes[name] = {}
        for fx in subgraphs:
            if fx.name in down:
                routes[name][fx.name] = DOWN_URL
            else:
                app.router.add_post(f"/{name}/{fx.name}/graphql", handler(fx, counts, f"{name}/{fx.name}"))
                routes[name][fx.name] = f"/{name}/{fx.name}/graphql"
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    urls = {
        s: {n: u if u.startswith("http") else f"http://127.0.0.1:{port}{u}" for n, u in r.items()}
        for s, r in routes.items()
    }
    print(json.dumps(urls), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or list(SETS)))
