"""Introspection answers from the API schema: no join__/link__ internals, @inaccessible hidden."""

from __future__ import annotations

from tests.router.conftest import gateway_over, running_subgraphs
from tests.router.support.scenario import SCENARIOS, load_scenario


async def test_introspection_shows_the_api_schema_only() -> None:
    sc = load_scenario(SCENARIOS / "requires-provides")
    async with running_subgraphs(sc.sdls, sc.data) as subs, gateway_over(subs) as gw:
        out = await gw.execute_dict(
            '{ __schema { types { name } directives { name } } __type(name: "Product") { fields { name } } }',
            None,
            None,
            {},
        )
        mixed = await gw.execute_dict(
            '{ __typename topProducts(first: 1) { upc } t: __type(name: "User") { name } }', None, None, {}
        )
        for sub in subs.values():
            assert all("__schema" not in r["body"]["query"] for r in sub.requests)
    names = {t["name"] for t in out["data"]["__schema"]["types"]}
    assert {"Product", "Review", "User", "Query"} <= names
    assert not {
        n for n in names if n.startswith(("join__", "link__")) or n in ("_Any", "_Entity", "_Service")
    }
    assert {d["name"] for d in out["data"]["__schema"]["directives"]} <= {
        "include",
        "skip",
        "deprecated",
        "specifiedBy",
        "oneOf",
    }
    fields = {f["name"] for f in out["data"]["__type"]["fields"]}
    assert "internalCode" not in fields and {"upc", "name", "inStock", "reviews"} <= fields
    assert mixed == {"data": {"__typename": "Query", "topProducts": [{"upc": "1"}], "t": {"name": "User"}}}
