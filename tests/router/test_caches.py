"""Parse/validation/plan caches: keyed by document hash + operation name, bounded, @skip/@include aware."""

from __future__ import annotations

import pytest

from router.compose import SubgraphSDL, compose
from router.gateway import OperationCache, RequestError
from router.gateway.cache import LRU
from router.supergraph import load_supergraph
from tests.router.support.scenario import SCENARIOS, load_scenario


@pytest.fixture(scope="module")
def cache() -> OperationCache:
    sc = load_scenario(SCENARIOS / "requires-provides")
    sg = load_supergraph(compose([SubgraphSDL(n, f"http://{n}/graphql", s) for n, s in sc.sdls.items()]))
    return OperationCache(sg, maxsize=3)


def test_prepared_operations_and_plans_are_reused(cache: OperationCache) -> None:
    q = "query A { topProducts { upc } } query B { me { name } }"
    a1, a2, b = cache.prepare(q, "A"), cache.prepare(q, "A"), cache.prepare(q, "B")
    assert a1 is a2 and a1 is not b
    assert cache.plan(a1, {}) is cache.plan(a1, {})


def test_skip_include_values_key_the_plan(cache: OperationCache) -> None:
    q = "query ($s: Boolean!) { topProducts { upc inStock @skip(if: $s) } }"
    prep = cache.prepare(q, None)
    with_stock, without = cache.plan(prep, {"s": False}), cache.plan(prep, {"s": True})
    assert with_stock is not without
    assert len(with_stock.nodes) == 2 and len(without.nodes) == 1
    assert cache.plan(prep, {"s": True}) is without


def test_invalid_documents_are_cached_as_errors_too(cache: OperationCache) -> None:
    with pytest.raises(RequestError) as first:
        cache.prepare("{ nope }", None)
    with pytest.raises(RequestError) as second:
        cache.prepare("{ nope }", None)
    assert first.value is second.value


def test_lru_is_bounded_and_keeps_recent_entries() -> None:
    lru: LRU[str, int] = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # refreshes "a"
    lru.put("c", 3)
    assert len(lru) == 2 and lru.get("b") is None and lru.get("a") == 1 and lru.get("c") == 3
