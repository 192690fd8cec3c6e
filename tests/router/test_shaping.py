"""Response shaping: the compiled fast path agrees with the interpretive completer, which reports
null propagation (GraphQL spec, "Handling Field Errors") with exact paths."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from graphql import OperationDefinitionNode, build_schema, parse

from router.executor.complete import complete
from router.executor.shape import compile_shaper
from router.planner.operation import normalize_operation

SCHEMA = build_schema(
    """
    type Query { items: [Item!] grid: [[Int!]]! one: Item! maybe: Item kind: Kind things: [Thing] }
    type Item { id: ID! tags: [String] sizes: [Int!]! child: Item kind: Kind! }
    enum Kind { A B }
    union Thing = Item | Box
    type Box { w: Int! }
    """
)
QUERY = """
{
  items { id tags sizes child { id kind } kind }
  grid
  one { id alias: id sizes }
  maybe { id }
  kind
  things { __typename ... on Item { id } ... on Box { w } }
}
"""


def _fields() -> Any:
    doc = parse(QUERY)
    op = doc.definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    return normalize_operation(SCHEMA, op, {}, {})


GOOD: dict[str, Any] = {
    "items": [{"id": "1", "tags": ["x", None], "sizes": [1, 2], "child": None, "kind": "A", "extra": 1}],
    "grid": [[1, 2], None, []],
    "one": {"id": "o", "alias": "o", "sizes": []},
    "maybe": None,
    "kind": "B",
    "things": [{"__typename": "Box", "w": 3}, {"__typename": "Item", "id": "i"}, None],
}


@pytest.mark.parametrize(
    ("patch", "paths"),
    [
        ({}, []),
        ({"items": [{**GOOD["items"][0], "id": None}]}, [["items", 0, "id"]]),  # Item! in list -> items null
        ({"grid": [[1, None]]}, [["grid", 0, 1]]),  # Int! in inner list -> inner list null
        ({"one": {"id": None, "sizes": []}}, [["one", "id"]]),  # Item! at root -> data null
        ({"items": [{**GOOD["items"][0], "kind": "HIDDEN"}]}, [["items", 0, "kind"]]),  # unknown enum value
        ({"kind": "HIDDEN"}, [["kind"]]),
        ({"things": [{"__typename": "Box", "w": None}]}, [["things", 0, "w"]]),
        (
            {"items": [{**GOOD["items"][0], "child": {"id": "c", "kind": None}}]},
            [["items", 0, "child", "kind"]],
        ),
    ],
)
def test_fast_path_matches_completion(patch: dict[str, Any], paths: list[list[Any]]) -> None:
    fields = _fields()
    data = {**copy.deepcopy(GOOD), **patch}
    slow_errors: list[dict[str, Any]] = []
    expected = complete(copy.deepcopy(data), "Query", fields, slow_errors)
    fast_errors: list[dict[str, Any]] = []
    got = compile_shaper("Query", fields)(copy.deepcopy(data), fast_errors)
    assert got == expected
    assert fast_errors == slow_errors
    assert [e["path"] for e in slow_errors] == paths


def test_selection_order_and_internal_fields() -> None:
    out = compile_shaper("Query", _fields())(copy.deepcopy(GOOD), [])
    assert list(out) == ["items", "grid", "one", "maybe", "kind", "things"]
    assert list(out["items"][0]) == ["id", "tags", "sizes", "child", "kind"]  # "extra" dropped
    assert out["one"] == {"id": "o", "alias": "o", "sizes": []}
    assert out["things"] == [{"__typename": "Box", "w": 3}, {"__typename": "Item", "id": "i"}, None]


def test_null_propagation_results() -> None:
    fields = _fields()
    shaper = compile_shaper("Query", fields)
    assert shaper({**copy.deepcopy(GOOD), "one": {"id": None, "sizes": []}}, []) is None
    out = shaper({**copy.deepcopy(GOOD), "grid": [[1, None], [3]]}, [])
    assert out["grid"] == [None, [3]]
    out = shaper({**copy.deepcopy(GOOD), "items": [{**GOOD["items"][0], "id": None}]}, [])
    assert out["items"] is None
