"""The edge over HTTP through real router processes: CORS (allow-list, preflights, credentials), security
headers on every answer (HSTS in prod, a CSP GraphiQL can live with), the prod safelist's allowance for
GraphiQL and admin tools (a verified ADMIN token), and the checks on operations sent over WebSocket."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from libs.auth.tokens import issue_access_token
from libs.config import Settings
from libs.testing.router import router_process
from manpasik.schema_snapshots import contract_operations
from router.edge.analysis import measure
from router.edge.settings import OperationLimits
from router.supergraph import load_supergraph
from tests.router.support.edge_router import EDGE, edge_fixture_subgraphs, edge_router
from tests.router.support.fixture_subgraph import FixtureSubgraph

REPO = Path(__file__).resolve().parents[2]
ORIGIN = "https://admin.manpasik.test"


@pytest.fixture(scope="module")
async def subgraphs() -> AsyncIterator[dict[str, FixtureSubgraph]]:
    async with edge_fixture_subgraphs() as (subs, _):
        yield subs


@pytest.fixture(scope="module")
async def prod_router(subgraphs: dict[str, FixtureSubgraph], settings: Settings) -> AsyncIterator[str]:
    """`manpasik router --verify-tokens` in the prod profile with the edge tests' safelist."""
    args = ["--profile", "prod", "--safelist", str(EDGE / "safelist"), "--cors-origins", ORIGIN]
    urls = {n: s.url for n, s in subgraphs.items()}
    async with router_process(urls, settings, args=args) as base:
        yield base


async def _post(url: str, query: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.post(url, json={"query": query}, headers=headers) as r:
        return r.status, await r.json(content_type=None)


def _code(payload: Any) -> Any:
    return (payload.get("errors") or [{}])[0].get("extensions", {}).get("code")


async def test_graphiql_and_admin_tools_have_their_allowance_in_prod(
    prod_router: str, settings: Settings, subgraphs: dict[str, FixtureSubgraph]
) -> None:
    url = prod_router + "/graphql"
    admin, _, _ = issue_access_token(settings, "admin-1", ["ADMIN", "USER"], "s1")
    user, _, _ = issue_access_token(settings, "user-1", ["USER"], "s2")
    ad_hoc = "{ users { id best { id } } }"
    introspection = "{ __schema { queryType { name } } }"
    before = sum(len(s.requests) for s in subgraphs.values())
    for token in (None, user):
        headers = {"authorization": f"Bearer {token}"} if token else {}
        assert _code((await _post(url, ad_hoc, headers))[1]) == "OPERATION_NOT_IN_SAFELIST"
        assert _code((await _post(url, introspection, headers))[1]) == "INTROSPECTION_DISABLED"
    assert sum(len(s.requests) for s in subgraphs.values()) == before
    # GraphiQL sends the admin's token from its headers editor: any operation, introspection too.
    headers = {"authorization": f"Bearer {admin}", "apollographql-client-name": "graphiql"}
    status, payload = await _post(url, ad_hoc, headers)
    assert (status, payload) == (200, {"data": {"users": [{"id": "u1", "best": {"id": "u2"}}]}})
    status, payload = await _post(url, introspection, headers)
    assert payload == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    # The limits hold for the allowance too.
    deep = "{ users " + "{ best " * 10 + "{ id }" + " }" * 11
    assert _code((await _post(url, deep, headers))[1]) == "MAX_DEPTH_LIMIT"


async def test_cors_preflights_and_headers_in_prod(prod_router: str) -> None:
    url = prod_router + "/graphql"
    preflight = {
        "origin": ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }
    async with aiohttp.ClientSession() as http:
        async with http.options(url, headers=preflight) as r:
            assert r.status == 204
            assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
            assert r.headers["Access-Control-Allow-Credentials"] == "true"
            assert "POST" in r.headers["Access-Control-Allow-Methods"]
            assert r.headers["Access-Control-Allow-Headers"] == "authorization, content-type"
        async with http.options(url, headers={**preflight, "origin": "https://evil.example"}) as r:
            assert r.status == 403 and "Access-Control-Allow-Origin" not in r.headers
            assert (await r.json())["errors"][0]["extensions"]["code"] == "CORS_ORIGIN_NOT_ALLOWED"
        query = {"query": "query Me { me { ...UserName } } fragment UserName on User { id name }"}
        async with http.post(url, json=query, headers={"origin": ORIGIN}) as r:
            assert r.status == 200
            assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
            assert r.headers["Access-Control-Allow-Credentials"] == "true"
            assert "Retry-After" in r.headers["Access-Control-Expose-Headers"]
            assert "Origin" in r.headers["Vary"]
            _security_headers(r.headers, prod=True)
            assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
        async with http.post(url, json=query, headers={"origin": "https://evil.example"}) as r:
            assert "Access-Control-Allow-Origin" not in r.headers
        async with http.get(url, headers={"accept": "text/html"}) as r:
            assert r.status == 200 and r.content_type == "text/html"
            _security_headers(r.headers, prod=True)
            csp = r.headers["Content-Security-Policy"]  # the page's own strict policy, kept
            assert "script-src 'self';" in csp and "unsafe" not in csp
        async with http.get(prod_router + "/health") as r:
            _security_headers(r.headers, prod=True)


async def test_dev_allows_any_origin_and_sends_no_hsts() -> None:
    async with edge_router("--max-body-bytes", "2000") as router, aiohttp.ClientSession() as http:
        headers = {"origin": "http://localhost:3000", "access-control-request-method": "POST"}
        async with http.options(router.url, headers=headers) as r:
            assert r.status == 204 and r.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
        async with http.post(router.url, json={"query": "{ plans }"}) as r:
            _security_headers(r.headers, prod=False)
        async with http.options(router.url) as r:  # not a preflight: as before
            assert r.status == 405
        big = {"query": "{ plans }", "variables": {"pad": "x" * 2000}}
        before = router.subgraph_requests()
        async with http.post(router.url, json=big) as r:
            assert (r.status, _code(await r.json())) == (413, "PAYLOAD_TOO_LARGE")
            _security_headers(r.headers, prod=False)
        assert router.subgraph_requests() == before


async def test_operations_over_websocket_are_checked_too() -> None:
    async with (
        edge_router("--max-depth", "2") as router,
        aiohttp.ClientSession() as http,
        http.ws_connect(router.url, protocols=("graphql-transport-ws",)) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        before = router.subgraph_requests()
        deep = {"query": "{ users { best { best { id } } } }"}
        await ws.send_json({"id": "1", "type": "subscribe", "payload": deep})
        msg = await ws.receive_json(timeout=5)
        assert msg["type"] == "error" and msg["payload"][0]["extensions"]["code"] == "MAX_DEPTH_LIMIT"
        assert router.subgraph_requests() == before
        await ws.send_json({"id": "2", "type": "subscribe", "payload": {"query": "{ plans }"}})
        msg = await ws.receive_json(timeout=5)
        assert msg == {"id": "2", "type": "next", "payload": {"data": {"plans": ["basic"]}}}


def test_every_app_operation_fits_the_default_limits() -> None:
    """The prod defaults must never refuse the app's own documents (schema/operations/)."""
    sg = load_supergraph((REPO / "schema" / "supergraph.graphql").read_text())
    limits = OperationLimits()
    from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

    checked = 0
    for text in contract_operations().values():
        doc = parse(text)
        frags = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
        for d in doc.definitions:
            if isinstance(d, OperationDefinitionNode):
                shape = measure(sg.api_schema, d, frags, limits.default_list_size)
                assert shape.depth <= limits.max_depth, d.name
                assert shape.aliases <= limits.max_aliases and shape.root_fields <= limits.max_root_fields
                assert shape.static_cost <= limits.max_cost, (d.name, shape.static_cost)
                checked += 1
    assert checked >= 40


def _security_headers(headers: Any, prod: bool) -> None:
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert ("Strict-Transport-Security" in headers) is prod
    json.dumps(dict(headers))  # plain strings
