"""Composition: determinism, error messages, and the supergraph the router reads back."""

from __future__ import annotations

import pytest

from router.compose import CompositionError, SubgraphSDL, compose
from router.supergraph import load_supergraph
from tests.router.support.scenario import SCENARIOS, load_scenario

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
    'import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@tag"])'
)


def _subs(**sdls: str) -> list[SubgraphSDL]:
    return [SubgraphSDL(n, f"http://{n}.local/graphql", LINK + "\n" + s) for n, s in sdls.items()]


def test_composition_is_deterministic_whatever_the_input_order() -> None:
    sc = load_scenario(SCENARIOS / "requires-provides")
    subs = [SubgraphSDL(n, f"http://{n}/graphql", s) for n, s in sc.sdls.items()]
    assert compose(subs) == compose(list(reversed(subs)))


def test_supergraph_round_trip_hides_internals_and_inaccessible() -> None:
    sc = load_scenario(SCENARIOS / "requires-provides")
    sg = load_supergraph(compose([SubgraphSDL(n, f"http://{n}/graphql", s) for n, s in sc.sdls.items()]))
    names = set(sg.api_schema.type_map)
    assert not {n for n in names if n.startswith(("join__", "link__", "_"))} - {
        n for n in names if n.startswith("__")
    }
    assert "internalCode" not in sg.api_schema.get_type("Product").fields  # type: ignore[union-attr]
    assert "internalCode" in sg.types["Product"].fields  # still known to the planner
    assert sg.field_graphs("Product", "shippingEstimate") == ["INVENTORY"]


def test_non_shareable_field_names_subgraphs_type_and_field() -> None:
    with pytest.raises(CompositionError) as err:
        compose(_subs(a="type Query { a: T } type T { x: Int }", b="type Query { b: T } type T { x: Int }"))
    msg = str(err.value)
    assert "INVALID_FIELD_SHARING" in msg and '"T.x"' in msg and '"a"' in msg and '"b"' in msg


def test_shareable_and_key_fields_may_be_resolved_twice() -> None:
    sdl = compose(
        _subs(
            a='type Query { a: T } type T @key(fields: "id") { id: ID! x: Int @shareable }',
            b='type T @key(fields: "id") { id: ID! x: Int @shareable }',
        )
    )
    sg = load_supergraph(sdl)
    assert sorted(sg.field_graphs("T", "x")) == ["A", "B"]


@pytest.mark.parametrize(
    ("sdls", "code", "words"),
    [
        (
            {"a": 'type Query { a: T } type T @key(fields: "nope") { id: ID! }'},
            "KEY_INVALID_FIELDS",
            ['"nope"', '"T"'],
        ),
        (
            {"a": "type Query { a: T } type T { x: Int }", "b": "type Query { b: Int } enum T { X }"},
            "TYPE_KIND_MISMATCH",
            ['"T"', '"a"', '"b"'],
        ),
        (
            {"a": 'type Query { a: T } type T @key(fields: "id") { id: ID! x: Int @external }'},
            "EXTERNAL_MISSING_ON_BASE",
            ['"T.x"'],
        ),
        (
            {
                "a": 'type Query { a: T } type T @key(fields: "id") '
                '{ id: ID! x: Int @requires(fields: "y") }',
            },
            "REQUIRES_INVALID_FIELDS",
            ['"T.x"', '"y"'],
        ),
        (
            {"a": "type Query { a: String @shareable }", "b": "type Query { a: Int @shareable }"},
            "FIELD_TYPE_MISMATCH",
            ['"Query.a"', '"a"', '"b"'],
        ),
        ({"a": "type Query { a: Missing }"}, "UNKNOWN_TYPE", ['"Query.a"', '"Missing"', "[a]"]),
        (
            {
                "a": "type Query { a(i: In): Int } input In { x: Int! }",
                "b": "type Query { b(i: In): Int } input In { y: Int }",
            },
            "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
            ['"In.x"', '"a"'],
        ),
    ],
)
def test_composition_errors_are_located(sdls: dict[str, str], code: str, words: list[str]) -> None:
    with pytest.raises(CompositionError) as err:
        compose(_subs(**sdls))
    msg = str(err.value)
    assert code in msg, msg
    for w in words:
        assert w in msg, msg


def test_enum_merge_rules() -> None:
    sdl = compose(
        _subs(
            a="type Query { a: Color } enum Color { RED GREEN }",
            b="type Query { b(c: Size): Int c: Color @shareable } enum Color { RED BLUE } enum Size { S M }",
            c="type Query { d(s: Size): Int } enum Size { S L }",
        )
    )
    sg = load_supergraph(sdl)
    color = sg.api_schema.get_type("Color")
    size = sg.api_schema.get_type("Size")
    assert sorted(color.values) == ["BLUE", "GREEN", "RED"]  # type: ignore[union-attr]  # output only: union
    assert sorted(size.values) == ["S"]  # type: ignore[union-attr]  # input only: intersection


def test_override_from_itself_is_an_error() -> None:
    with pytest.raises(CompositionError) as err:
        compose(
            [
                SubgraphSDL(
                    "a",
                    "http://a/graphql",
                    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", '
                    '"@override"])\ntype Query { t: T } '
                    'type T @key(fields: "id") { id: ID! x: Int @override(from: "a") }',
                )
            ]
        )
    assert "OVERRIDE_FROM_SELF_ERROR" in str(err.value) and '"T.x"' in str(err.value)


def test_interface_not_implemented_fully_is_an_error() -> None:
    with pytest.raises(CompositionError) as err:
        compose(
            _subs(
                a="type Query { n: Node } interface Node { id: ID! name: String } "
                "type U implements Node { id: ID! }"
            )
        )
    assert "INVALID_GRAPHQL" in str(err.value) and "Node.name" in str(err.value)
