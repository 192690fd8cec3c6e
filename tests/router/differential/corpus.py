"""The differential corpus: operations run through our router and Hive Gateway over the fixture subgraphs.

Each `Op` names its fixture set and whether errors are expected (so a case where both gateways fail
cannot pass unnoticed). `data` must be equal and `errors` equivalent (same set of paths), and our router
may not send more subgraph requests, nor then more entity representations, than Hive Gateway (batching,
deduplication) unless `more_fetches` says why. Where Hive
Gateway's answer is wrong by the GraphQL or Federation spec, the case carries `spec`: the answer the
spec requires (our router must give it) and `hive_differs`: why, with the rule that decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Op:
    name: str
    query: str
    variables: dict[str, Any] | None = None
    fixture_set: str = "commerce"
    errors: bool = False
    operation_name: str | None = None
    spec: dict[str, Any] | None = None  # {"data": ..., "paths": [...]} required by the spec
    hive_differs: str | None = None
    unordered: bool = False  # introspection lists are sets in the spec: compare them sorted
    router_bug: str | None = None  # a known bug of our router: the case runs as xfail(strict=True)
    more_fetches: str | None = None  # why our router may send more subgraph requests than Hive Gateway


HIVE_LIST_INDEX = (
    "Hive Gateway drops the list index from the path of an error raised inside an _entities fetch under a "
    "list. GraphQL spec, Response > Errors > path: a path segment for a list item is its 0-based index, so "
    "the error of the third product's inStock is at [topProducts, 2, inStock]."
)

HIVE_ALIAS_CLASH = (
    "Hive Gateway adds the key field `upc` beside the client's alias `upc: name` in its query to "
    "products, which that subgraph rejects (fields conflict), so the answer is null. The client's "
    "operation is valid (GraphQL spec, Field Selection Merging: it selects no other `upc`); a gateway's "
    "own subgraph queries must not collide with client aliases."
)

PER_PATH_FETCHES = (
    "one _entities fetch per path, as Apollo's query planner does; Hive Gateway batches the "
    "representations of several paths into one request to the subgraph"
)

PRODUCT_FIELDS = """
fragment ProductCard on Product {
  upc
  name
  price { amount currency }
}
"""

OPS: list[Op] = [
    # -- root fields, one subgraph --------------------------------------------------------------------
    Op("root-single", "{ me { id name email } }"),
    Op("root-args-literal", '{ user(id: "u2") { id name tier } }'),
    Op("root-missing-entity", '{ user(id: "nope") { id name } }'),
    Op("root-list", "{ users { id email } }"),
    Op("root-default-arg", "{ topProducts { upc } }"),
    Op("root-two-fields-two-subgraphs", "{ me { name } latestReviews(limit: 1) { body } }"),
    Op("root-parallel-three", "{ me { id } topProducts(first: 1) { upc } parcels { trackingNo } }"),
    Op("typename-root", "{ __typename me { __typename id } }"),
    Op("deprecated-field", '{ product(upc: "2") { discontinuedReason } }'),
    # -- fragments, aliases, variables, directives ------------------------------------------------------
    Op("named-fragment", "{ topProducts(first: 2) { ...ProductCard } }" + PRODUCT_FIELDS),
    Op(
        "nested-fragments-across-subgraphs",
        "{ topProducts(first: 2) { ...ProductCard ...Stock } }"
        + PRODUCT_FIELDS
        + "fragment Stock on Product { inStock stockedAt { name } }",
    ),
    Op("inline-fragment-same-type", "{ me { ... on User { name } id } }"),
    Op(
        "aliases",
        '{ a: user(id: "u1") { n: name id } b: user(id: "u2") { n: name count: reviewCount } }',
    ),
    Op("alias-same-field-twice-args", '{ p1: product(upc: "1") { name } p2: product(upc: "2") { name } }'),
    Op(
        "alias-named-like-key-fields",
        "{ topProducts(first: 2) { upc: name id: weight inStock reviews { id: body rating } } }",
        spec={
            "data": {
                "topProducts": [
                    {
                        "upc": "Table",
                        "id": 100,
                        "inStock": True,
                        "reviews": [{"id": "Solid table", "rating": 5}, {"id": "Wobbly", "rating": 2}],
                    },
                    {
                        "upc": "Couch",
                        "id": 1000,
                        "inStock": False,
                        "reviews": [{"id": "Comfy couch", "rating": 4}],
                    },
                ]
            },
            "paths": [],
        },
        hive_differs=HIVE_ALIAS_CLASH,
    ),
    Op(
        "alias-typename-like-names",
        '{ product(upc: "1") { __typename typename: upc name: inStock shippingEstimate } }',
    ),
    Op("alias-entity-field", '{ product(upc: "1") { stock: inStock est: shippingEstimate } }'),
    Op(
        "variables",
        "query ($upc: String!) { product(upc: $upc) { name inStock } }",
        {"upc": "2"},
    ),
    Op(
        "variables-default",
        "query ($n: Int = 2) { topProducts(first: $n) { upc name } }",
    ),
    Op(
        "variables-input-object",
        "query ($f: ProductFilter) { products(filter: $f) { upc category } }",
        {"f": {"category": "BOOKS"}},
    ),
    Op(
        "variables-enum-order",
        "query ($o: SortOrder) { products(order: $o) { upc } }",
        {"o": "DESC"},
    ),
    Op("input-object-literal", "{ restock(filter: { category: TOOLS }) { upc inStock name } }"),
    Op(
        "skip-include-literal",
        '{ product(upc: "1") { name @skip(if: true) upc inStock @include(if: false) '
        "weight @include(if: true) } }",
    ),
    Op(
        "skip-include-variables",
        'query ($s: Boolean!, $i: Boolean!) { product(upc: "1") { name @skip(if: $s) '
        "reviews @include(if: $i) { body } shippingCost @include(if: $i) } }",
        {"s": True, "i": True},
    ),
    Op(
        "skip-on-fragment",
        "query ($i: Boolean!) { me { id ... @include(if: $i) { reviews { rating } } } }",
        {"i": False},
    ),
    Op(
        "operation-name-selects",
        "query A { me { id } } query B { users { name } }",
        operation_name="B",
    ),
    Op(
        "typename-everywhere",
        '{ product(upc: "1") { __typename price { __typename } reviews { __typename } } }',
    ),
    # -- entities across subgraphs ----------------------------------------------------------------------
    Op("entity-one-hop", '{ product(upc: "1") { name inStock } }'),
    Op(
        "entity-batch-list",
        "{ topProducts { upc inStock stockedAt { id name } } }",
        errors=True,
        # inStock of upc 3 fails; Product! in [Product!]! -> null propagates up to data.
        spec={"data": None, "paths": [("topProducts", 2, "inStock")]},
        hive_differs=HIVE_LIST_INDEX,
    ),
    Op("entity-batch-ok", "{ topProducts(first: 2) { upc inStock reviews { rating } averageRating } }"),
    Op(
        "entity-dedup-same-user",
        "{ latestReviews(limit: 3) { id author { id name email tier } } }",
    ),
    Op(
        "entity-key-jump-upc-to-id",
        "{ restock { upc reviews { body } } }",
    ),
    Op("entity-key-jump-ok", "{ restock(filter: { category: BOOKS }) { upc name averageRating } }"),
    Op(
        "entity-second-key-email",
        "{ parcels { trackingNo status recipient { email name reviewCount } } }",
    ),
    Op("entity-compound-key", "{ me { lastParcel { carrierCode trackingNo status } } }"),
    Op(
        "entity-nested-key",
        '{ product(upc: "1") { stockedAt { name carrier { code name region { country zone } } } } }',
    ),
    Op("entity-nested-key-from-shipping", "{ topProducts(first: 2) { carrier { name region { zone } } } }"),
    Op(
        "entity-deep-chain",
        "{ latestReviews(limit: 3) { product { name reviews { author { name lastParcel { status } } } } } }",
    ),
    Op(
        "override-routes-to-new-owner",
        '{ user(id: "u1") { name reviewCount } users { reviewCount } }',
        more_fetches=PER_PATH_FETCHES,
    ),
    Op("shareable-value-type", '{ product(upc: "2") { price { amount currency } } }'),
    Op("shareable-field-name", "{ latestReviews(limit: 1) { product { name } } }"),
    # -- @requires / @provides ---------------------------------------------------------------------------
    Op("requires-simple", '{ product(upc: "2") { shippingEstimate } }'),
    Op("requires-with-nested-selection", "{ topProducts(first: 2) { shippingEstimate price { currency } } }"),
    Op("requires-chain", '{ product(upc: "1") { shippingCost } }'),
    Op("requires-chain-list", "{ topProducts(first: 2) { upc shippingCost shippingEstimate weight } }"),
    Op(
        "requires-from-entity-root",
        "{ restock { upc shippingCost } }",
    ),
    Op("requires-through-entity-reference", "{ topProducts { upc creatorLabel } }"),
    Op(
        "requires-through-entity-reference-from-reviews",
        "{ latestReviews(limit: 3) { product { creatorLabel averageRating } } }",
    ),
    Op("provides-shortcut", "{ latestReviews(limit: 2) { author { name } } }"),
    Op("provides-plus-non-provided", "{ latestReviews(limit: 2) { author { name tier } } }"),
    Op("provides-on-products", "{ topProducts(first: 2) { createdBy { id name } } }"),
    # -- abstract types ------------------------------------------------------------------------------
    Op(
        "union-across-subgraphs",
        '{ search(term: "a") { __typename ... on Product { upc inStock } ... on Brand { name } } }',
        errors=True,
        spec={"data": None, "paths": [("search", 1, "inStock")]},
        hive_differs=HIVE_LIST_INDEX,
    ),
    Op(
        "union-members-ok",
        '{ search(term: "ac") { __typename ... on Product { name } ... on Brand { id name } } }',
    ),
    Op(
        "union-member-from-other-subgraph",
        "{ latestReviews(limit: 1) { related { __typename ... on Product { name price { amount } } "
        "... on Review { body rating } } } }",
    ),
    Op(
        "interface-across-subgraphs",
        '{ node(id: "p2") { id __typename ... on Product { name inStock } ... on User { name } } }',
    ),
    Op("interface-null", '{ node(id: "u1") { id } }'),
    Op(
        "interface-members-from-two-subgraphs",
        "{ recentlyViewed { __typename id ... on Product { name shippingCost } ... on User { email } } }",
    ),
    Op(
        "interface-members-error-in-one",
        "{ recentlyViewed { id ... on Product { upc inStock } } }",
        errors=True,
        spec={"data": None, "paths": [("recentlyViewed", 2, "inStock")]},
        hive_differs=HIVE_LIST_INDEX,
    ),
    Op(
        "interface-object-fields",
        "{ media { __typename id title stars ... on Book { pages } ... on Movie { minutes } } }",
        fixture_set="media",
    ),
    Op(
        "interface-object-root",
        "{ topRated(first: 3) { __typename id stars title reviewers ... on Book { pages } } }",
        fixture_set="media",
    ),
    Op(
        "interface-object-typename-only",
        "{ topRated { __typename } }",
        fixture_set="media",
    ),
    Op(
        "interface-fragment-spread",
        '{ mediaItem(id: "m2") { ...M } } fragment M on Media { title stars ... on Movie { minutes } }',
        fixture_set="media",
    ),
    Op("requires-list-of-objects", "{ topProducts { upc warehouseCount } }"),
    Op(
        "union-fragment-for-member-unknown-to-subgraph",
        "{ latestReviews(limit: 1) { related { __typename ... on Brand { name } ... on Product { upc } } } }",
    ),
    Op(
        "union-fragment-review-in-products-search",
        '{ search(term: "ac") { ... on Review { body } ... on Brand { name } ... on Product { name } } }',
    ),
    Op(
        "interface-fragment-inside-entity",
        '{ product(upc: "2") { ... on Node { id } reviews { ... on Review { rating } } } }',
    ),
    Op(
        "interface-object-field-via-concrete-fragment",
        "{ media { id ... on Book { stars pages } ... on Movie { title } } }",
        fixture_set="media",
    ),
    Op(
        "interface-object-concrete-fields-from-root",
        "{ topRated(first: 3) { ... on Movie { title minutes stars } ... on Book { reviewers } } }",
        fixture_set="media",
    ),
    Op(
        "same-entity-two-aliases-different-subgraphs",
        '{ a: product(upc: "1") { inStock } b: product(upc: "1") { shippingEstimate reviews { id } } }',
        more_fetches=PER_PATH_FETCHES,
    ),
    Op("typename-only-entity-no-fetch", "{ latestReviews(limit: 3) { product { __typename id } } }"),
    Op(
        "interface-object-error-in-list",
        "{ media { id title trend } }",
        fixture_set="media",
        errors=True,
        spec={
            "data": {
                "media": [
                    {"id": "m1", "title": "Dune", "trend": 50},
                    {"id": "m2", "title": "Alien", "trend": None},
                    {"id": "m3", "title": "Emma", "trend": 20},
                ]
            },
            "paths": [("media", 1, "trend")],
        },
        hive_differs=HIVE_LIST_INDEX,
    ),
    Op(
        "interface-object-error-nullable-parent",
        '{ mediaItem(id: "m2") { title trend } }',
        fixture_set="media",
        errors=True,
    ),
    Op(
        "interface-object-typename-needed-for-fragment",
        "{ topRated(first: 3) { id ... on Book { title pages } } }",
        fixture_set="media",
    ),
    Op(
        "interface-object-skip",
        "query ($s: Boolean!) { media { title stars @skip(if: $s) reviewers @include(if: $s) } }",
        {"s": True},
        fixture_set="media",
    ),
    Op(
        "deep-chain-requires-under-provides",
        "{ latestReviews(limit: 3) { author { ... on User { name "
        "reviews { product { upc shippingCost } } } } } }",
    ),
    Op(
        "deep-chain-second-key-then-nested-key",
        "{ parcels { recipient { email reviews { rating product { carrier { name } } } } } }",
    ),
    Op(
        "deep-chain-compound-key-cycle",
        "{ users { lastParcel { status recipient { name lastParcel { trackingNo } } } } }",
    ),
    Op(
        "interface-fragment-inside-union",
        '{ search(term: "c") { ... on Node { id } ... on Product { reviews { rating } } } }',
    ),
    Op(
        "same-fragment-at-two-depths",
        "{ me { ...U } latestReviews(limit: 1) { author { ...U } } } "
        "fragment U on User { id name tier address { city } }",
    ),
    Op(
        "alias-same-root-field-two-batches",
        "{ a: topProducts(first: 1) { inStock } b: topProducts(first: 2) { inStock } }",
        more_fetches=PER_PATH_FETCHES,
    ),
    Op(
        "mutation-entity-null-in-result",
        'mutation { addReview(productId: "p404", body: "x", rating: 1) { product { name } } }',
        errors=True,
    ),
    # -- errors and nulls ---------------------------------------------------------------------------------
    Op("error-root-subgraph-field", "{ users { id secret } }", errors=True),
    Op("error-entity-field-nullable", "{ latestReviews(limit: 2) { id flagged } }", errors=True),
    Op("error-nonnull-propagates-to-nullable-parent", '{ product(upc: "3") { name inStock } }', errors=True),
    Op(
        "error-nonnull-propagates-to-root",
        "{ featured { name } topProducts { inStock } }",
        errors=True,
        spec={"data": None, "paths": [("topProducts", 2, "inStock")]},
        hive_differs=HIVE_LIST_INDEX,
    ),
    Op(
        "null-entity-unknown-to-owner",
        # products answers null for p404; Product.name is String!, so the element of [SearchResult!]!
        # and then Review.related ([...]!) are null: the null reaches the nullable `review`.
        '{ review(id: "r4") { id related { __typename ... on Product { name } ... on Review { id } } } }',
        errors=True,
    ),
    Op("null-nullable-entity-field", '{ product(upc: "3") { createdBy { name } brand { name } } }'),
    Op("null-nested-key-reference", '{ product(upc: "3") { carrier { name } } }'),
    Op(
        "inaccessible-enum-value-in-result",
        '{ user(id: "u3") { name tier } }',
        # LEGACY is @inaccessible: not a value of Tier in the API schema, so completing it is a field
        # error (GraphQL spec, CompleteValue -> CoerceResult for enums); Tier! nulls the user.
        errors=True,
    ),
    Op(
        "subgraph-down-root",
        "{ legacyReport }",
        errors=True,
    ),
    Op(
        "subgraph-down-with-others",
        "{ me { name } legacyReport }",
        errors=True,
    ),
    Op(
        "subgraph-down-entity",
        "{ me { name legacyNotes } }",
        errors=True,
    ),
    Op("subgraph-http-500-entity", '{ product(upc: "1") { name promotion } }', errors=True),
    Op("subgraph-http-500-root", "{ promotions me { id } }", errors=True),
    Op(
        "subgraph-http-500-in-list",
        "{ topProducts(first: 2) { upc promotion inStock } }",
        errors=True,
        spec={
            "data": {
                "topProducts": [
                    {"upc": "1", "promotion": None, "inStock": True},
                    {"upc": "2", "promotion": None, "inStock": False},
                ]
            },
            "paths": [("topProducts", 0, "promotion"), ("topProducts", 1, "promotion")],
        },
        hive_differs=HIVE_LIST_INDEX,
    ),
    # -- mutations ------------------------------------------------------------------------------------
    Op(
        "mutation-sequence-two-subgraphs",
        'mutation { a: updateName(id: "u1", name: "Ada L.") { id name reviewCount } '
        'b: addReview(productId: "p1", body: "ok", rating: 3) { id body product { name inStock } } }',
    ),
    Op(
        "mutation-variables-and-typename",
        'mutation Add($p: ID!, $r: Int!) { addReview(productId: $p, body: "fine", rating: $r) '
        "{ __typename rating author { name tier } } }",
        {"p": "p2", "r": 4},
        operation_name="Add",
    ),
    Op("mutation-null-result", 'mutation { updateName(id: "nope", name: "x") { id } }'),
    # -- arguments and variables inside entity fetches ----------------------------------------------------
    Op(
        "entity-field-arguments-aliased",
        '{ product(upc: "1") { hi: reviewsRated(min: 4) { id } '
        "all: reviewsRated(min: 1, first: 5) { id } } }",
    ),
    Op(
        "entity-field-variables",
        "query ($min: Int!, $skip: Boolean = false) { topProducts(first: 2) { upc "
        "reviewsRated(min: $min) @skip(if: $skip) { rating author { name } } } }",
        {"min": 3},
    ),
    Op(
        "entity-field-include-false",
        "query ($i: Boolean!) { topProducts(first: 2) { upc reviews @include(if: $i) { id } "
        "shippingCost @include(if: $i) } }",
        {"i": False},
    ),
    Op(
        "fragments-merging-same-field",
        '{ product(upc: "1") { ...A ...B } } fragment A on Product { reviews { id } createdBy { id } } '
        "fragment B on Product { reviews { body author { name } } createdBy { name email } }",
    ),
    Op(
        "typename-in-entity-and-union",
        "{ latestReviews(limit: 1) { __typename product { __typename inStock } "
        "related { __typename ... on Review { __typename id } } } }",
    ),
    Op("introspection-inaccessible-type-null", '{ __type(name: "AuditEntry") { name } }'),
    Op("invalid-ambiguous-operation", "query A { me { id } } query B { me { name } }", errors=True),
    Op(
        "custom-scalar-variable-and-result",
        "query ($t: DateTime!) { reviewsSince(since: $t) { id createdAt product { name } } }",
        {"t": "2026-02-01T00:00:00Z"},
    ),
    Op("custom-scalar-literal", '{ reviewsSince(since: "2026-03-01T00:00:00Z") { id createdAt } }'),
    Op("typename-aliased-on-root", "{ t: __typename q: __typename me { k: __typename } }"),
    # -- invalid operations -----------------------------------------------------------------------------
    Op("invalid-unknown-field", "{ me { nope } }", errors=True),
    Op("invalid-inaccessible-field", "{ me { internalScore } }", errors=True),
    Op("invalid-inaccessible-enum-value", "query { products(order: RANDOM) { upc } }", errors=True),
    Op("invalid-merged-input-field", "{ products(filter: { maxPrice: 10 }) { upc } }", errors=True),
    Op("invalid-internal-entities", "{ _entities(representations: []) { __typename } }", errors=True),
    Op("invalid-syntax", "{ me { id ", errors=True),
    Op("invalid-missing-variable", "query ($id: ID!) { user(id: $id) { id } }", errors=True),
    Op(
        "invalid-variable-type",
        "query ($n: Int) { topProducts(first: $n) { upc } }",
        {"n": "two"},
        errors=True,
    ),
    Op(
        "invalid-enum-in-variable",
        "query ($f: ProductFilter) { products(filter: $f) { upc } }",
        {"f": {"category": "NOPE"}},
        errors=True,
    ),
    Op(
        "invalid-input-field-not-merged-in-variable",
        "query ($f: ProductFilter) { products(filter: $f) { upc } }",
        {"f": {"maxPrice": 10}},
        errors=True,
    ),
    Op("invalid-unknown-operation-name", "query A { me { id } }", operation_name="Z", errors=True),
    Op(
        "invalid-fragment-cycle",
        "{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }",
        errors=True,
    ),
    Op("invalid-unused-variable", "query ($x: Int) { me { id } }", errors=True),
    Op("invalid-unused-fragment", "{ me { id } } fragment F on User { name }", errors=True),
    Op("invalid-conflicting-aliases", "{ me { name: email name } }", errors=True),
    Op("invalid-null-for-non-null-argument", "{ user(id: null) { id } }", errors=True),
    Op("invalid-subscription-unsupported", "subscription { me { id } }", errors=True),
    # -- introspection ------------------------------------------------------------------------------------
    Op(
        "introspection-type",
        '{ __type(name: "User") { name kind fields { name type { name kind ofType { name } } } } }',
        unordered=True,
    ),
    Op(
        "introspection-enums-merged",
        '{ c: __type(name: "Currency") { enumValues { name } } s: __type(name: "SortOrder") '
        '{ enumValues { name } } t: __type(name: "Tier") { enumValues { name } } }',
        unordered=True,
    ),
    Op(
        "introspection-input-merged",
        '{ __type(name: "ProductFilter") { inputFields { name type { name } } } }',
        unordered=True,
    ),
    Op(
        "introspection-union-interface",
        '{ u: __type(name: "SearchResult") { possibleTypes { name } } '
        'n: __type(name: "Node") { possibleTypes { name } } }',
        unordered=True,
    ),
    Op(
        "introspection-directives",
        "{ __schema { directives { name isRepeatable args { name defaultValue } } } }",
        unordered=True,
        spec={
            "data": {
                "__schema": {
                    "directives": [
                        {"name": n, "isRepeatable": False, "args": a}
                        for n, a in (
                            ("include", [{"name": "if", "defaultValue": None}]),
                            ("skip", [{"name": "if", "defaultValue": None}]),
                            ("deprecated", [{"name": "reason", "defaultValue": '"No longer supported"'}]),
                            ("specifiedBy", [{"name": "url", "defaultValue": None}]),
                            ("oneOf", []),
                        )
                    ]
                }
            },
            "paths": [],
        },
        hive_differs="Hive Gateway lists @tag among the API schema's directives. The API schema is the "
        "supergraph without the machinery of its @link'ed features (join, link, tag, inaccessible; "
        "Apollo Federation, 'Supergraph schema' / API schema): @tag is composition metadata, not a "
        "directive a client can use.",
    ),
    Op(
        "introspection-descriptions-and-defaults",
        '{ u: __type(name: "User") { description fields { name description } } '
        'q: __type(name: "Query") { fields { name args { name defaultValue type { name } } } } '
        'd: __type(name: "DateTime") { kind description } }',
        unordered=True,
    ),
    Op("introspection-no-join-internals", "{ __schema { types { name } } }", unordered=True),
    Op(
        "introspection-root-and-deprecated",
        "{ __schema { queryType { name } mutationType { name } } "
        '__type(name: "Product") { fields(includeDeprecated: true) '
        "{ name isDeprecated deprecationReason } } }",
        unordered=True,
    ),
    Op(
        "introspection-interface-object",
        '{ __type(name: "Media") { kind fields { name } possibleTypes { name } } }',
        fixture_set="media",
        unordered=True,
    ),
    Op(
        "introspection-mixed-with-data",
        '{ __typename me { name } __type(name: "Brand") { name } }',
        unordered=True,
    ),
]
