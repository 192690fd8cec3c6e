"""Breakers, retries and partial results at the router's executor, over real fixture subgraphs on sockets."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from resilience import BreakerSettings, State
from router.executor.resilience import FetchPolicy, ResilienceSettings
from tests.router.conftest import gateway_over, running_subgraphs

PRODUCTS = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { topProducts: [Product!] shopName: String }
type Mutation { rename(name: String!): String }
type Product @key(fields: "upc") { upc: ID! name: String }
"""
INVENTORY = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { warehouse: String }
type Product @key(fields: "upc") { upc: ID! inStock: Boolean! }
"""
PRODUCT_DATA = {
    "Query": {"topProducts": [{"__typename": "Product", "upc": "1"}], "shopName": "Shop"},
    "Mutation": {"rename": "New"},
    "entities": {"Product": [{"upc": "1", "name": "Table"}]},
}
INVENTORY_DATA = {"Query": {"warehouse": "W1"}, "entities": {"Product": [{"upc": "1", "inStock": True}]}}
SDLS = {"products": PRODUCTS, "inventory": INVENTORY}


def data(products: dict[str, Any] | None = None, inventory: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "products": {**PRODUCT_DATA, **(products or {})},
        "inventory": {**INVENTORY_DATA, **(inventory or {})},
    }


def graphql_requests(sub: Any) -> int:
    return sum(1 for r in sub.requests if "_service" not in r["body"]["query"])


async def test_a_flaky_subgraph_is_retried_for_queries_and_entity_fetches() -> None:
    d = data(inventory={"fail": {"status": 503, "times": 2}}, products={"fail": {"status": 502, "times": 1}})
    async with running_subgraphs(SDLS, d) as subs, gateway_over(subs) as gw:
        out = await gw.execute_dict("{ topProducts { name inStock } }", None, None, {})
    assert out == {"data": {"topProducts": [{"name": "Table", "inStock": True}]}}
    assert graphql_requests(subs["products"]) == 2  # the root fetch: 502, then the answer
    assert graphql_requests(subs["inventory"]) == 3  # the _entities fetch: 503, 503, then the answer


async def test_a_mutation_is_never_retried() -> None:
    d = data(products={"fail": {"status": 503, "times": 1}})
    async with running_subgraphs(SDLS, d) as subs, gateway_over(subs) as gw:
        out = await gw.execute_dict('mutation { rename(name: "New") }', None, None, {})
    assert graphql_requests(subs["products"]) == 1
    assert out["data"] == {"rename": None}
    assert out["errors"][0]["path"] == ["rename"]
    assert out["errors"][0]["extensions"] == {
        "code": "SUBGRAPH_UNAVAILABLE",
        "serviceName": "products",
        "reason": "SERVER_ERROR",
    }


async def test_graphql_errors_in_a_200_are_not_retried() -> None:
    d = data(inventory={"errors": {"Product.inStock": {"message": "no", "code": "FORBIDDEN"}}})
    async with running_subgraphs(SDLS, d) as subs, gateway_over(subs) as gw:
        out = await gw.execute_dict("{ topProducts { name inStock } }", None, None, {})
    assert graphql_requests(subs["inventory"]) == 1
    assert out["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_retries_stop_at_the_attempts_and_the_budget() -> None:
    d = data(inventory={"fail": {"status": 503, "times": 100}})
    policy = FetchPolicy(ResilienceSettings(retry_attempts=4, breaker=BreakerSettings(enabled=False)))
    async with running_subgraphs(SDLS, d) as subs, gateway_over(subs, policy=policy) as gw:
        await gw.execute_dict("{ topProducts { inStock } }", None, None, {})
        assert graphql_requests(subs["inventory"]) == 4
    d = data(inventory={"delay": 0.4})
    budget = ResilienceSettings(query_timeout_s=0.25, retry_attempts=10, retry_budget_s=0.6)
    async with running_subgraphs(SDLS, d) as subs, gateway_over(subs, policy=FetchPolicy(budget)) as gw:
        started = time.monotonic()
        out = await gw.execute_dict("{ warehouse }", None, None, {})
        took = time.monotonic() - started
    assert out["errors"][0]["extensions"]["reason"] == "TIMEOUT"
    assert took < 1.0  # 0.25 + 0.25 + what is left of 0.6: never past the budget (plus scheduling)
    assert 2 <= graphql_requests(subs["inventory"]) <= 3


async def test_partial_results_null_propagation_and_the_stable_code_when_a_subgraph_is_down() -> None:
    async with running_subgraphs(SDLS, data()) as subs:
        await subs["inventory"].stop()  # nothing listens there any more
        async with gateway_over(subs) as gw:
            out = await gw.execute_dict("{ shopName topProducts { name inStock } }", None, None, {})
    # inStock is Boolean!, Product! in the list: the null reaches the nullable topProducts; shopName stays.
    assert out["data"] == {"shopName": "Shop", "topProducts": None}
    assert out["errors"] == [
        {
            "message": out["errors"][0]["message"],
            "path": ["topProducts", 0, "inStock"],
            "extensions": {
                "code": "SUBGRAPH_UNAVAILABLE",
                "serviceName": "inventory",
                "reason": "CONNECTION",
            },
        }
    ]
    assert out["errors"][0]["message"].startswith('Failed to fetch from subgraph "inventory"')


async def test_an_open_breaker_answers_at_once_without_asking_and_other_subgraphs_still_answer() -> None:
    settings = ResilienceSettings(
        retry_attempts=1, breaker=BreakerSettings(minimum_calls=3, reset_s=0.5, window_s=10)
    )
    d = data(inventory={"fail": {"status": 503, "times": 3}})
    async with running_subgraphs(SDLS, d) as subs, gateway_over(subs, policy=FetchPolicy(settings)) as gw:
        breakers = gw.transport.breakers  # type: ignore[attr-defined]
        for _ in range(3):
            await gw.execute_dict("{ warehouse }", None, None, {})
        assert breakers.get("inventory").state is State.OPEN
        asked = graphql_requests(subs["inventory"])
        out = await gw.execute_dict("{ shopName warehouse }", None, None, {})
        assert graphql_requests(subs["inventory"]) == asked  # refused without a request
        assert out["data"] == {"shopName": "Shop", "warehouse": None}
        ext = out["errors"][0]["extensions"]
        assert ext["code"] == "SUBGRAPH_UNAVAILABLE" and ext["reason"] == "CIRCUIT_OPEN"
        assert ext["serviceName"] == "inventory" and 0 < ext["retryAfter"] <= 0.5
        await asyncio.sleep(0.55)
        assert breakers.get("inventory").state is State.HALF_OPEN
        assert await gw.execute_dict("{ warehouse }", None, None, {}) == {"data": {"warehouse": "W1"}}
        assert breakers.get("inventory").state is State.CLOSED
        assert breakers.get("products").state is State.CLOSED
