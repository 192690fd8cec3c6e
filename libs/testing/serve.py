"""Serves an ASGI app on a real loopback socket inside the running event loop (tests only)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from libs.testing.net import free_port


@asynccontextmanager
async def running_app(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """Yields the app's base URL (http://127.0.0.1:PORT) once its lifespan has started."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", ws="websockets-sansio",
        proxy_headers=False,  # as `manpasik subgraph` serves: the socket's peer is the client address
        timeout_graceful_shutdown=5,  # as `manpasik subgraph`: a request still open then is cancelled
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # surfaces the startup error
            raise RuntimeError("server stopped during startup")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
