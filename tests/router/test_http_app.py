"""The HTTP app in-process: readiness before the supergraph is loaded, and no traceback on a crash."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from router.server.app import RouterApp


class _Exploding:
    async def execute(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        raise RuntimeError("secret internals /etc/passwd")


@pytest.fixture
async def app_url() -> AsyncIterator[tuple[RouterApp, str]]:
    router_app = RouterApp()
    runner = web.AppRunner(router_app.app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield router_app, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_not_ready_until_a_gateway_is_attached(app_url: tuple[RouterApp, str]) -> None:
    router_app, base = app_url
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/health") as r:
            assert r.status == 200
        async with http.get(f"{base}/ready") as r:
            assert r.status == 503
        async with http.post(f"{base}/graphql", json={"query": "{ a }"}) as r:
            assert r.status == 503
            assert (await r.json())["errors"][0]["extensions"]["code"] == "NOT_READY"
        router_app.gateway = _Exploding()  # type: ignore[assignment]
        async with http.get(f"{base}/ready") as r:
            assert r.status == 200


async def test_internal_errors_are_masked(app_url: tuple[RouterApp, str]) -> None:
    router_app, base = app_url
    router_app.gateway = _Exploding()  # type: ignore[assignment]
    async with aiohttp.ClientSession() as http, http.post(f"{base}/graphql", json={"query": "{ a }"}) as r:
        body = await r.text()
    assert r.status == 500
    assert "INTERNAL_SERVER_ERROR" in body
    assert "Traceback" not in body and "passwd" not in body
