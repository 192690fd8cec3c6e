"""Subgraph sets that no Federation v2 composer may accept, with the error code both must report."""

from __future__ import annotations

HEAD = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
    'import: ["@key", "@external", "@requires", "@shareable"])\n'
)

INVALID: dict[str, tuple[str, dict[str, str]]] = {
    "non-shareable-field-in-two-subgraphs": (
        "INVALID_FIELD_SHARING",
        {
            "a": HEAD + 'type Query { t: T } type T @key(fields: "id") { id: ID! name: String }',
            "b": HEAD + 'type T @key(fields: "id") { id: ID! name: String }',
        },
    ),
    "field-type-mismatch": (
        "FIELD_TYPE_MISMATCH",
        {
            "a": HEAD + 'type Query { t: T } type T @key(fields: "id") { id: ID! size: String @shareable }',
            "b": HEAD + 'type T @key(fields: "id") { id: ID! size: Int @shareable }',
        },
    ),
    "external-everywhere": (
        "EXTERNAL_MISSING_ON_BASE",
        {
            "a": HEAD + 'type Query { t: T } type T @key(fields: "id") { id: ID! w: Int @external '
            'x: Int @requires(fields: "w") }',
            "b": HEAD
            + 'type T @key(fields: "id") { id: ID! w: Int @external y: Int @requires(fields: "w") }',
        },
    ),
    "type-kind-mismatch": (
        "TYPE_KIND_MISMATCH",
        {
            "a": HEAD + "type Query { s: Shape } type Shape { id: ID! }",
            "b": HEAD + "type Query { t: Shape @shareable } interface Shape { id: ID! }",
        },
    ),
    "enum-in-and-out-differs": (
        "ENUM_VALUE_MISMATCH",
        {
            "a": HEAD + "type Query { c(x: Color): Color } enum Color { RED GREEN }",
            "b": HEAD + "type Query { d(x: Color): Color } enum Color { RED BLUE }",
        },
    ),
    "required-argument-missing": (
        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
        {
            "a": HEAD + "type Query { f(n: Int!): Int @shareable }",
            "b": HEAD + "type Query { f: Int @shareable }",
        },
    ),
    "requires-non-external": (
        "REQUIRES_FIELDS_MISSING_EXTERNAL",
        {
            "a": HEAD
            + 'type Query { t: T } type T @key(fields: "id") '
            + '{ id: ID! w: Int x: Int @requires(fields: "w") }',
        },
    ),
    "federation-directive-not-imported": (
        "INVALID_GRAPHQL",
        {
            "a": 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'
            'type Query { t: T } type T @key(fields: "id") { id: ID! w: Int @shareable }',
        },
    ),
}

# Cases our composer accepts although it must not: run as xfail(strict=True).
OURS_ACCEPTS: dict[str, str] = {}
