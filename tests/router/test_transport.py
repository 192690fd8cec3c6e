"""Subgraph transport: in-flight deduplication, timeouts."""

from __future__ import annotations

import asyncio

from router.executor.resilience import FetchPolicy, ResilienceSettings
from tests.router.conftest import gateway_over, running_subgraphs
from tests.router.support.scenario import SCENARIOS, load_scenario

Q = "{ topProducts(first: 1) { name } }"


async def test_identical_inflight_queries_share_one_fetch_per_credential() -> None:
    sc = load_scenario(SCENARIOS / "requires-provides")
    sc.data["products"] = {**sc.data["products"], "delay": 0.2}
    async with running_subgraphs(sc.sdls, sc.data) as subs, gateway_over(subs, dedup=True) as gw:
        same = [gw.execute_dict(Q, None, None, {"authorization": "Bearer a"}) for _ in range(5)]
        other = gw.execute_dict(Q, None, None, {"authorization": "Bearer b"})
        results = await asyncio.gather(*same, other)
        assert all(r == {"data": {"topProducts": [{"name": "Table"}]}} for r in results)
        auths = sorted(r["headers"].get("authorization") for r in subs["products"].requests)
        assert auths == ["Bearer a", "Bearer b"]


async def test_mutations_are_never_shared() -> None:
    sc = load_scenario(SCENARIOS / "mutation-sequence")
    sc.data["orders"] = {**sc.data["orders"], "delay": 0.1}
    m = 'mutation { placeOrder(sku: "X") { id } }'
    async with running_subgraphs(sc.sdls, sc.data) as subs, gateway_over(subs, dedup=True) as gw:
        await asyncio.gather(*(gw.execute_dict(m, None, None, {}) for _ in range(3)))
        assert len(subs["orders"].requests) == 3


async def test_slow_subgraph_times_out_into_partial_data() -> None:
    sc = load_scenario(SCENARIOS / "requires-provides")
    sc.data["inventory"] = {**sc.data["inventory"], "delay": 2}
    policy = FetchPolicy(ResilienceSettings(query_timeout_s=0.3, retry_attempts=1))
    async with running_subgraphs(sc.sdls, sc.data) as subs, gateway_over(subs, policy=policy) as gw:
        out = await gw.execute_dict("{ topProducts(first: 1) { name inStock } }", None, None, {})
    assert out["data"] == {"topProducts": [{"name": "Table", "inStock": None}]}
    assert out["errors"][0]["extensions"] == {
        "code": "SUBGRAPH_UNAVAILABLE",
        "serviceName": "inventory",
        "reason": "TIMEOUT",
    }
    assert "timed out" in out["errors"][0]["message"]
