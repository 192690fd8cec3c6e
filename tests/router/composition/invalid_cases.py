"""Subgraph sets that no Federation v2 composer may accept, with the error code both must report."""

from __future__ import annotations

HEAD = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", '
    '"@requires", "@provides", "@shareable", "@override", "@inaccessible", "@interfaceObject"])\n'
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
    "key-field-with-arguments": (
        "KEY_FIELDS_HAS_ARGS",
        {"a": HEAD + 'type Query { t: T } type T @key(fields: "id") { id(x: Int): ID! }'},
    ),
    "provides-field-not-external": (
        "PROVIDES_FIELDS_MISSING_EXTERNAL",
        {
            "a": HEAD
            + 'type Query { t: T @provides(fields: "x") } type T @key(fields: "id") { id: ID! x: Int }'
        },
    ),
    "provides-on-scalar-field": (
        "PROVIDES_ON_NON_OBJECT_FIELD",
        {"a": HEAD + 'type Query { t: Int @provides(fields: "x") }'},
    ),
    "override-on-external-field": (
        "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
        {
            "a": HEAD + 'type Query { t: T } type T @key(fields: "id") { id: ID! x: Int @shareable }',
            "b": HEAD + 'type T @key(fields: "id") { id: ID! x: Int @external @override(from: "a") '
            'y: Int @requires(fields: "x") }',
        },
    ),
    "external-unused": (
        "EXTERNAL_UNUSED",
        {
            "a": HEAD + 'type Query { t: T } type T @key(fields: "id") { id: ID! x: Int @external }',
            "b": HEAD + 'type T @key(fields: "id") { id: ID! x: Int }',
        },
    ),
    "unknown-type": ("INVALID_GRAPHQL", {"a": HEAD + "type Query { t: Nope }"}),
    "input-field-type-mismatch": (
        "FIELD_TYPE_MISMATCH",
        {
            "a": HEAD + "type Query { f(x: In): Int @shareable } input In { a: Int }",
            "b": HEAD + "type Query { f(x: In): Int @shareable } input In { a: String }",
        },
    ),
    "argument-default-mismatch": (
        "FIELD_ARGUMENT_DEFAULT_MISMATCH",
        {
            "a": HEAD + "type Query { f(x: Int = 1): Int @shareable }",
            "b": HEAD + "type Query { f(x: Int = 2): Int @shareable }",
        },
    ),
    "empty-merged-enum": (
        "EMPTY_MERGED_ENUM_TYPE",
        {
            "a": HEAD + "type Query { f(x: E): Int @shareable } enum E { A }",
            "b": HEAD + "type Query { f(x: E): Int @shareable } enum E { B }",
        },
    ),
    "empty-merged-input": (
        "EMPTY_MERGED_INPUT_TYPE",
        {
            "a": HEAD + "type Query { f(x: In): Int @shareable } input In { a: Int }",
            "b": HEAD + "type Query { f(x: In): Int @shareable } input In { b: Int }",
        },
    ),
    "referenced-inaccessible": (
        "REFERENCED_INACCESSIBLE",
        {"a": HEAD + "type Query { t: T } type T @inaccessible { x: Int }"},
    ),
    "only-inaccessible-children": (
        "ONLY_INACCESSIBLE_CHILDREN",
        {"a": HEAD + "type Query { t: T } type T { x: Int @inaccessible }"},
    ),
    "unreachable-field": (
        "SATISFIABILITY_ERROR",
        {
            "a": HEAD + 'type Query { t: T } type T @key(fields: "id") { id: ID! }',
            "b": HEAD + 'type T @key(fields: "id", resolvable: false) { id: ID! x: Int }',
        },
    ),
    "interface-object-without-entity-interface": (
        "SATISFIABILITY_ERROR",
        {
            "a": HEAD + "type Query { t: I } interface I { id: ID! } type T implements I { id: ID! }",
            "b": HEAD + 'type I @key(fields: "id") @interfaceObject { id: ID! z: Int }',
        },
    ),
    "referenced-inaccessible-by-argument": (
        "REFERENCED_INACCESSIBLE",
        {"a": HEAD + "type Query { t(x: In): Int } input In @inaccessible { a: Int }"},
    ),
    "only-inaccessible-enum-values": (
        "ONLY_INACCESSIBLE_CHILDREN",
        {"a": HEAD + "type Query { t: E } enum E { A @inaccessible }"},
    ),
}


# Cases our composer accepts although it must not: run as xfail(strict=True).
OURS_ACCEPTS: dict[str, str] = {}

# Cases our composer rejects under another code than federation-composition (both reject).
OTHER_CODE: dict[str, str] = {
    "unknown-type": "UNKNOWN_TYPE",
}
