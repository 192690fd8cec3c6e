"""The edge's operation checks through the real router process: depth, aliases, root fields, cost,
introspection and the safelist in the prod profile, persisted queries. Every refusal is answered before any
subgraph is asked (the fixture subgraphs log each request)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from router.edge import Edge, EdgeSettings, Refused
from router.edge.safelist import load_safelist
from router.executor import AiohttpTransport
from router.gateway import Gateway
from router.supergraph import load_supergraph
from tests.router.support.edge_router import EDGE, EdgeRouter, edge_fixture_subgraphs, edge_router

PROD = (
    "--profile", "prod", "--safelist", str(EDGE / "safelist"),
    "--max-depth", "4", "--max-aliases", "3", "--max-root-fields", "3", "--max-cost", "100",
)  # fmt: skip
DEV = ("--max-depth", "4", "--max-aliases", "3", "--max-root-fields", "3", "--max-cost", "100")


@pytest.fixture(scope="module")
async def prod() -> AsyncIterator[EdgeRouter]:
    async with edge_router(*PROD) as r:
        yield r


@pytest.fixture(scope="module")
async def dev() -> AsyncIterator[EdgeRouter]:
    async with edge_router(*DEV) as r:
        yield r


async def post(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as r:
        return r.status, await r.json(content_type=None)


def code(payload: Any) -> str | None:
    errors = payload.get("errors") or [{}]
    return str(errors[0].get("extensions", {}).get("code"))


async def refused(router: EdgeRouter, query: str, expected: str, variables: Any = None) -> dict[str, Any]:
    before = router.subgraph_requests()
    status, payload = await post(router.url, {"query": query, "variables": variables})
    assert (status, code(payload)) == (200, expected), payload
    assert "data" not in payload
    assert router.subgraph_requests() == before, "a refused operation reached a subgraph"
    result: dict[str, Any] = payload
    return result


async def test_depth_counts_through_fragments(dev: EdgeRouter) -> None:
    assert await post(dev.url, {"query": "{ users { best { best { id } } } }"}) == (
        200,
        {"data": {"users": [{"best": {"best": {"id": "u1"}}}]}},
    )
    await refused(dev, "{ users { best { best { best { id } } } } }", "MAX_DEPTH_LIMIT")
    # The same depth hidden in a chain of fragment spreads, and behind an inline fragment.
    chain = """{ users { ...A } }
      fragment A on User { best { ...B } }
      fragment B on User { best { ...C } }
      fragment C on User { best { ... on User { best { id } } } }"""
    out = await refused(dev, chain, "MAX_DEPTH_LIMIT")
    assert "4 levels" in out["errors"][0]["message"]


async def test_deferred_fragments_count_too(dev: EdgeRouter) -> None:
    deep = "{ users { ... @defer { best { best { best { id } } } } } }"
    await refused(dev, deep, "MAX_DEPTH_LIMIT")
    await refused(dev, "{ users { ... @defer { a: id b: id c: id d: id } } }", "MAX_ALIASES_LIMIT")


async def test_fragment_cycles_are_refused_not_followed(dev: EdgeRouter) -> None:
    cycle = "{ users { ...A } } fragment A on User { best { ...B } } fragment B on User { best { ...A } }"
    await refused(dev, cycle, "GRAPHQL_VALIDATION_FAILED")


async def test_aliases_and_root_fields(dev: EdgeRouter) -> None:
    await refused(
        dev, "{ a: users { id } b: users { id } c: users { id } d: users { id } }", "MAX_ALIASES_LIMIT"
    )
    # Aliases inside a fragment count each time it is spread.
    spread = "{ users { ...F best { ...F } } } fragment F on User { x: id y: id }"
    await refused(dev, spread, "MAX_ALIASES_LIMIT")
    await refused(dev, "{ me { id } users { id } plans a: plans }", "MAX_ROOT_FIELDS_LIMIT")
    status, payload = await post(dev.url, {"query": "{ __typename me { id } users { id } plans }"})
    assert status == 200 and payload["data"]["plans"] == ["basic"]  # __typename is not a root field


async def test_cost_multiplies_lists_by_their_size_argument(dev: EdgeRouter) -> None:
    # users(first: 10 by default) x (1 + friends(first: 5 by default) x 1): 10 x 6 = 60 <= 100
    status, payload = await post(dev.url, {"query": "{ users { friends { id } } }"})
    assert status == 200 and "errors" not in payload, payload
    # users(first: 20) x (1 + friends 5 x 1) = 120 > 100, from a literal
    out = await refused(dev, "{ users(first: 20) { friends { id } } }", "COST_ESTIMATED_TOO_EXPENSIVE")
    assert out["errors"][0]["extensions"]["cost"] == 120
    # ... and from a variable's value (the same document passes with a small one)
    q = "query Q($n: Int) { users(first: $n) { friends { id } } }"
    await refused(dev, q, "COST_ESTIMATED_TOO_EXPENSIVE", {"n": 1000})
    status, payload = await post(dev.url, {"query": q, "variables": {"n": 1}})
    assert status == 200 and "errors" not in payload, payload
    # list fields without a size argument count default-list-size (10): users 10 x (1 + tags 10 x 0) ...
    status, payload = await post(dev.url, {"query": "{ users { tags } }"})
    assert status == 200 and "errors" not in payload


async def test_graphql_response_json_gets_400(dev: EdgeRouter) -> None:
    headers = {"accept": "application/graphql-response+json"}
    status, payload = await post(dev.url, {"query": "{ users { best { best { best { id } } } } }"}, headers)
    assert (status, code(payload)) == (400, "MAX_DEPTH_LIMIT")


async def test_introspection_is_off_in_prod_but_typename_is_not(prod: EdgeRouter, dev: EdgeRouter) -> None:
    await refused(prod, "{ __schema { queryType { name } } }", "INTROSPECTION_DISABLED")
    await refused(prod, '{ __type(name: "User") { name } }', "INTROSPECTION_DISABLED")
    assert await post(dev.url, {"query": "{ __schema { queryType { name } } }"}) == (
        200,
        {"data": {"__schema": {"queryType": {"name": "Query"}}}},
    )
    # __typename inside a safelisted operation's text is part of that text: fine; alone it is not safelisted.
    await refused(prod, "{ __typename }", "OPERATION_NOT_IN_SAFELIST")


async def test_prod_runs_only_safelisted_operations(prod: EdgeRouter) -> None:
    # The app's document, sent with other whitespace and comments: the same operation.
    me = "query Me {\n  # mine\n  me { ...UserName } }\nfragment UserName on User { id name }"
    before = prod.subgraph_requests()
    assert await post(prod.url, {"query": me}) == (200, {"data": {"me": {"id": "u1", "name": "Ada"}}})
    assert prod.subgraph_requests() == before + 1
    out = await refused(prod, "query Me { me { id name } }", "OPERATION_NOT_IN_SAFELIST")
    assert "safelist" in out["errors"][0]["message"]
    await refused(prod, "{ users { id } }", "OPERATION_NOT_IN_SAFELIST")


async def test_prod_accepts_a_safelisted_operation_by_its_hash(prod: EdgeRouter) -> None:
    canonical = "mutation LogIn($email: String!) {\n  logIn(email: $email)\n}"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    body = {
        "variables": {"email": "a@x"},
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
    }
    assert await post(prod.url, body) == (200, {"data": {"logIn": "token"}})


async def test_automatic_persisted_queries_round_trip(dev: EdgeRouter) -> None:
    query = "{ users(first: 1) { id } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    ext = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    status, payload = await post(dev.url, {"extensions": ext})
    assert (status, code(payload)) == (200, "PERSISTED_QUERY_NOT_FOUND")
    assert payload["errors"][0]["message"] == "PersistedQueryNotFound"
    status, payload = await post(dev.url, {"query": "{ plans }", "extensions": ext})
    assert (status, code(payload)) == (200, "PERSISTED_QUERY_HASH_MISMATCH")
    assert await post(dev.url, {"query": query, "extensions": ext}) == (
        200,
        {"data": {"users": [{"id": "u1"}]}},
    )
    assert await post(dev.url, {"extensions": ext}) == (200, {"data": {"users": [{"id": "u1"}]}})
    # GET: the hash alone in the query string (as Apollo Client's useGETForHashedQueries sends it)
    params = {"extensions": json.dumps(ext)}
    headers = {"apollo-require-preflight": "true"}
    async with aiohttp.ClientSession() as http, http.get(dev.url, params=params, headers=headers) as r:
        assert (r.status, await r.json()) == (200, {"data": {"users": [{"id": "u1"}]}})
    # a refused document is not registered
    deep = "{ users { best { best { best { best { id } } } } } }"
    deep_ext = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(deep.encode()).hexdigest()}}
    _, payload = await post(dev.url, {"query": deep, "extensions": deep_ext})
    assert code(payload) == "MAX_DEPTH_LIMIT"
    _, payload = await post(dev.url, {"extensions": deep_ext})
    assert code(payload) == "PERSISTED_QUERY_NOT_FOUND"
    status, payload = await post(
        dev.url, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "zz"}}}
    )
    assert (status, code(payload)) == (400, "BAD_REQUEST")


async def test_refusals_are_counted_by_code() -> None:
    """`Edge.refusals` (for metrics): one count per refused request and code."""
    async with edge_fixture_subgraphs() as (_, supergraph):
        transport = AiohttpTransport(timeout=5)
        gw = Gateway(load_supergraph(supergraph.read_text()), transport)
        settings = EdgeSettings()
        edge = Edge(replace(settings, limits=replace(settings.limits, max_depth=2)))
        for _ in range(2):
            with pytest.raises(Refused):
                await edge.admit(gw, {"query": "{ users { best { id } } }"}, "10.0.0.1", None)
        await edge.admit(gw, {"query": "{ users { id } }"}, "10.0.0.1", None)
        assert dict(edge.refusals) == {"MAX_DEPTH_LIMIT": 2}
        await transport.close()
        await edge.aclose()


def test_a_safelist_needs_named_operations_that_parse(tmp_path: Path) -> None:
    (tmp_path / "a.graphql").write_text("{ users { id } }")
    with pytest.raises(ValueError, match="needs a name"):
        load_safelist(str(tmp_path))
    (tmp_path / "a.graphql").write_text("query Q { users { id }")
    with pytest.raises(ValueError, match=r"a\.graphql"):
        load_safelist(str(tmp_path))
    listed = load_safelist(str(EDGE / "safelist"))
    assert listed.names == ("Me", "LogIn") and len(listed.by_hash) == 2
