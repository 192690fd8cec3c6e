"""GraphiQL's page and assets at the HTTP level, from the router process: everything from the router itself, a
page with no inline script or style under a same-origin CSP, a fixed list of files, and the setting that turns
it off (off by default in prod through `manpasik router`)."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import aiohttp
import pytest

from libs.testing.net import free_port
from tests.router.support.live_subgraph import REPO, RouterProcess, live_subgraph, router_over

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # Chromium's


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []  # src of each <script>; None for an inline one
        self.styles: list[str] = []  # stylesheet hrefs
        self.inline_styles = 0  # <style> elements and style="" attributes

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a.get("src"))
        if tag == "link" and a.get("rel") == "stylesheet":
            self.styles.append(a["href"] or "")
        if tag == "style" or "style" in a:
            self.inline_styles += 1


@pytest.fixture(scope="module")
async def router() -> AsyncIterator[RouterProcess]:
    async with live_subgraph() as sub_url, router_over(sub_url) as r:
        yield r


async def test_page_loads_only_the_routers_own_assets(router: RouterProcess) -> None:
    base = router.url.removesuffix("/graphql")
    async with aiohttp.ClientSession() as http:
        async with http.get(router.url, headers={"Accept": BROWSER_ACCEPT}) as r:
            assert r.status == 200 and r.content_type == "text/html"
            csp = r.headers["Content-Security-Policy"]
            page = _Page()
            page.feed(await r.text())
        assert "default-src 'self'" in csp and "script-src 'self';" in csp and "unsafe" not in csp
        assert page.scripts and None not in page.scripts and page.inline_styles == 0
        for ref in [*page.scripts, *page.styles]:
            # Relative, so that the page works behind a proxy's path prefix too.
            assert ref is not None and ref.startswith("graphiql/"), ref
            async with http.get(f"{base}/{ref}") as a:
                assert a.status == 200, ref
                assert a.content_type == ("text/css" if ref.endswith(".css") else "application/javascript")
                assert a.headers["X-Content-Type-Options"] == "nosniff"
                etag = a.headers["ETag"]
                assert len(await a.read()) > 100
            async with http.get(f"{base}/{ref}", headers={"If-None-Match": etag}) as a:
                assert a.status == 304  # revalidated, not downloaded again


@pytest.mark.parametrize(
    "path", ["NOTICE.md", "LICENSES.txt", "..%2F__init__.py", "vendor%2Fgraphiql.min.js", "index.html"]
)
async def test_only_the_listed_assets_are_served(router: RouterProcess, path: str) -> None:
    base = router.url.removesuffix("/graphql")
    async with aiohttp.ClientSession() as http, http.get(f"{base}/graphiql/{path}") as r:
        assert r.status == 404
        assert (await r.json())["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def _is_served(url: str) -> tuple[bool, bool]:
    """(the page on a browser's GET, an asset) at a router's /graphql."""
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Accept": BROWSER_ACCEPT}) as r:
            page = r.status == 200 and r.content_type == "text/html"
            if not page:  # a browser GET without the explorer is an ordinary GraphQL GET: no query, 400
                assert r.status == 400
                assert (await r.json(content_type=None))["errors"][0]["extensions"]["code"]
        async with http.get(url.removesuffix("/graphql") + "/graphiql/explorer.js") as r:
            asset = r.status == 200
    return page, asset


async def test_graphiql_off() -> None:
    async with live_subgraph() as sub_url, router_over(sub_url, "--graphiql", "off") as r:
        assert await _is_served(r.url) == (False, False)


async def _manpasik_router(env: dict[str, str]) -> tuple[bool, bool]:
    """`manpasik router serve` over the committed supergraph under `env`; is GraphiQL served?"""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "manpasik",
        "router",
        "serve",
        "--supergraph",
        str(REPO / "schema" / "supergraph.graphql"),
        "--port",
        str(port),
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if k != "ROUTER_GRAPHIQL"} | env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert line.startswith("router ready on"), line or (await proc.stderr.read()).decode()  # type: ignore[union-attr]
        return await _is_served(f"http://127.0.0.1:{port}/graphql")
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)


async def test_manpasik_router_serves_graphiql_in_prod_only_when_asked() -> None:
    prod = {
        "MANPASIK_ENV": "prod",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1",  # never connected: no --verify-tokens
        "MONGODB_URL": "mongodb://127.0.0.1:1",
        "ROUTER_SUBGRAPH_SECRET": secrets.token_urlsafe(32),  # a prod router refuses to start without it
    }
    assert await _manpasik_router(prod) == (False, False)
    # Settings prod would refuse (the router alone needs none of them): still prod, still off.
    short = {"MANPASIK_ENV": "prod", "JWT_SECRET": "short",
             "ROUTER_SUBGRAPH_SECRET": prod["ROUTER_SUBGRAPH_SECRET"]}
    assert await _manpasik_router(short) == (False, False)
    assert await _manpasik_router(prod | {"ROUTER_GRAPHIQL": "on"}) == (True, True)
    assert await _manpasik_router({"MANPASIK_ENV": "test"}) == (True, True)
