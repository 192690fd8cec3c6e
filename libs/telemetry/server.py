"""`/metrics` (and `/health`) on a port of its own, for processes that serve no HTTP otherwise: `manpasik
worker <name>` with `WORKER_METRICS_PORT` set."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from libs.telemetry.metrics import exposition


async def _metrics(request: web.Request) -> web.Response:
    body, content_type = await exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@asynccontextmanager
async def metrics_server(host: str, port: int) -> AsyncIterator[int]:
    """Serves /metrics on host:port while the block runs; yields the port bound (0 picks one)."""
    app = web.Application()
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/health", _health)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    server = getattr(site, "_server", None)
    bound = server.sockets[0].getsockname()[1] if server is not None and server.sockets else port
    try:
        yield bound
    finally:
        await runner.cleanup()
