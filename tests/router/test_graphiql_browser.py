"""GraphiQL as a person uses it: headless Chromium, offline (no host but 127.0.0.1 resolves), opens the
router process's /graphql, runs a query, a subscription whose header reaches the subgraph, and — against the
real auth subgraph with `--verify-tokens` — signs up in the page, puts the token in the Headers tab and reads
`me`. Every URL the page asked for must be on loopback; the page must log no error (a CSP refusal is one)."""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack

import aiohttp
import pytest

from libs.config import Settings
from libs.testing import running_app
from libs.testing.router import router_process
from manpasik.registry import subgraph
from tests.router.support.browser import Browser, require_chromium
from tests.router.support.live_subgraph import RouterProcess, live_subgraph, router_over, subscribed

_topics = itertools.count()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    b = Browser()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
async def router() -> AsyncIterator[RouterProcess]:
    async with live_subgraph() as sub_url, router_over(sub_url) as r:
        yield r


async def _publish(url: str, topic: str, value: float) -> None:
    mutation = "mutation($t: String!, $v: Float!) { publish(topic: $t, value: $v) }"
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json={"query": mutation, "variables": {"t": topic, "v": value}}) as r,
    ):
        assert (await r.json())["data"]["publish"] == 1


def _screenshot(browser: Browser, name: str) -> str:
    path = os.path.join(tempfile.gettempdir(), f"manpasik-graphiql-{name}.png")
    browser.screenshot(path)
    return path


async def test_explorer_runs_a_query_offline(browser: Browser, router: RouterProcess) -> None:
    await asyncio.to_thread(browser.open, router.url)
    await asyncio.to_thread(browser.set_query, "query Hello { hello }")
    result = await asyncio.to_thread(browser.run_until, lambda r: "data" in r)
    assert result == {"data": {"hello": "world"}}

    # @defer: GraphiQL asks for the router's multipart format and merges the deferred part into the result.
    await asyncio.to_thread(browser.set_query, "query Later { hello ... @defer { deferred: __typename } }")
    result = await asyncio.to_thread(browser.run_until, lambda r: "deferred" in (r.get("data") or {}))
    assert result["data"] == {"hello": "world", "deferred": "Query"}

    await asyncio.to_thread(browser.set_query, "{ nope }")
    result = await asyncio.to_thread(browser.run_until, lambda r: "errors" in r)
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"

    print("screenshot:", await asyncio.to_thread(_screenshot, browser, "query"))
    assert await asyncio.to_thread(browser.off_loopback) == []
    assert await asyncio.to_thread(browser.console_errors) == []
    # The page, its four vendored bundles and its own script and stylesheet all came from the router.
    assets = {u.rsplit("/", 1)[1] for u in browser.requested if "/graphiql/" in u}
    assert {"graphiql.min.js", "graphiql.min.css", "react.production.min.js", "explorer.js"} <= assets


async def test_subscription_in_the_explorer_carries_the_headers_tab(
    browser: Browser, router: RouterProcess
) -> None:
    topic = f"g{next(_topics)}"
    await asyncio.to_thread(browser.open, router.url)
    await asyncio.to_thread(browser.set_headers, {"Authorization": "Bearer explorer-token"})
    await asyncio.to_thread(
        browser.set_query,
        f'subscription Live {{ published(topic: "{topic}", limit: 2) {{ topic value authorization }} }}',
    )
    await asyncio.to_thread(browser.run)
    await subscribed(topic)
    await _publish(router.url, topic, 1.5)
    first = await asyncio.to_thread(browser.next_result, lambda r: "data" in r)
    assert first["data"]["published"] == {
        "topic": topic,
        "value": 1.5,
        "authorization": "Bearer explorer-token",  # from the Headers tab, in connection_init, to the subgraph
    }
    await _publish(router.url, topic, 2.5)
    second = await asyncio.to_thread(browser.next_result, lambda r: r["data"]["published"]["value"] == 2.5)
    assert second["data"]["published"]["authorization"] == "Bearer explorer-token"
    print("screenshot:", await asyncio.to_thread(_screenshot, browser, "subscription"))
    await asyncio.to_thread(browser.collect_network)
    sockets = [u for u in browser.requested if u.startswith("ws://")]
    assert sockets and all(u == router.url.replace("http://", "ws://") for u in sockets)
    assert await asyncio.to_thread(browser.off_loopback) == []


@pytest.fixture(scope="module")
async def auth_router(settings: Settings) -> AsyncIterator[str]:
    """The real auth subgraph behind `manpasik router --verify-tokens`; yields the router's /graphql."""
    row = subgraph("auth")
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(running_app(row.create_app(settings, row.own())))
        base = await stack.enter_async_context(router_process({"auth": url + "/graphql"}, settings))
        yield base + "/graphql"


async def test_sign_up_in_the_explorer_then_read_me_with_the_token(
    browser: Browser, auth_router: str
) -> None:
    email = f"explorer-{secrets.token_hex(6)}@example.com"
    await asyncio.to_thread(browser.open, auth_router)
    await asyncio.to_thread(browser.set_query, "query Anonymous { me { email } }")
    anonymous = await asyncio.to_thread(browser.run_until, lambda r: "errors" in r)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    await asyncio.to_thread(
        browser.set_query,
        "mutation Join { signUp(input: {"
        f'email: "{email}", password: "correct horse battery staple 42", displayName: "Explorer"'
        "}) { tokens { accessToken } } }",
    )
    signed_up = await asyncio.to_thread(browser.run_until, lambda r: "data" in r or "errors" in r)
    assert "errors" not in signed_up, signed_up
    token = signed_up["data"]["signUp"]["tokens"]["accessToken"]

    await asyncio.to_thread(browser.set_headers, {"Authorization": f"Bearer {token}"})
    await asyncio.to_thread(browser.set_query, "query Me { me { email displayName } }")
    me = await asyncio.to_thread(browser.run_until, lambda r: "data" in r and r["data"].get("me"))
    assert me == {"data": {"me": {"email": email, "displayName": "Explorer"}}}

    # A forged token typed into the Headers tab is refused at the edge.
    await asyncio.to_thread(browser.set_headers, {"Authorization": f"Bearer {token[:-4]}AAAA"})
    await asyncio.to_thread(browser.set_query, "query MeAgain { me { email } }")
    forged = await asyncio.to_thread(browser.run_until, lambda r: "errors" in r)
    assert forged["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    print("screenshot:", await asyncio.to_thread(_screenshot, browser, "me"))
    assert await asyncio.to_thread(browser.off_loopback) == []
