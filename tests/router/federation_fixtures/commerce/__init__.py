"""The commerce fixture set: users, products, inventory, shipping, reviews; legacy is down and promotions
answers HTTP 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.router.federation_fixtures.fixture import Fixture, fail, ref

HERE = Path(__file__).resolve().parent

USERS = [
    {
        "id": "u1",
        "email": "ada@example.com",
        "name": "Ada",
        "tier": "PRO",
        "internalScore": 90,
        "reviewCount": -1,
        "address": {"city": "Seoul", "country": "KR"},
        "lastParcel": ref("Parcel", carrierCode="KP", trackingNo="T1"),
        "secret": None,
    },
    {
        "id": "u2",
        "email": "grace@example.com",
        "name": "Grace",
        "tier": "FREE",
        "internalScore": 40,
        "reviewCount": -1,
        "address": None,
        "lastParcel": None,
        "secret": "s2",
    },
    # Only reachable by id or email: its tier is an @inaccessible enum value.
    {
        "id": "u3",
        "email": "linus@example.com",
        "name": "Linus",
        "tier": "LEGACY",
        "internalScore": 10,
        "reviewCount": -1,
        "address": {"city": "Helsinki", "country": "FI"},
        "lastParcel": ref("Parcel", carrierCode="DH", trackingNo="T9"),
        "secret": "s3",
    },
]


def _secret(obj: dict[str, Any], _: dict[str, Any]) -> Any:
    if obj["id"] == "u1":
        fail("secret is not yours to see", "FORBIDDEN")
    return obj.get("secret")


def _by(items: list[dict[str, Any]], field: str, value: Any) -> dict[str, Any] | None:
    return next((i for i in items if i[field] == value), None)


def _renamed(_: Any, a: dict[str, Any]) -> dict[str, Any] | None:
    user = _by(USERS, "id", a["id"])
    return {**user, "name": a["name"]} if user else None


users = Fixture(
    "users",
    HERE / "users.graphql",
    roots={
        "Mutation.updateName": _renamed,
        "Query.me": lambda _, a: USERS[0],
        "Query.user": lambda _, a: _by(USERS, "id", a["id"]),
        "Query.users": lambda _, a: USERS[:2],
        "Query.userByEmail": lambda _, a: _by(USERS, "email", a["email"]),
        "Query.recentlyViewed": lambda _, a: [
            ref("Product", id="p2"),
            ref("User", **USERS[1]),
            ref("Product", id="p3"),
        ],
    },
    entities={"User": USERS},
    fields={"User.secret": _secret},
)

PRODUCTS = [
    {
        "id": "p1",
        "upc": "1",
        "name": "Table",
        "price": {"amount": 899, "currency": "USD"},
        "weight": 100,
        "category": "TOOLS",
        "createdBy": {**ref("User", id="u1"), "name": "Ada"},
        "brand": ref("Brand", id="b1"),
        "discontinuedReason": None,
    },
    {
        "id": "p2",
        "upc": "2",
        "name": "Couch",
        "price": {"amount": 1299, "currency": "EUR"},
        "weight": 1000,
        "category": "BOOKS",
        "createdBy": {**ref("User", id="u2"), "name": "Grace"},
        "brand": None,
        "discontinuedReason": "recalled",
    },
    {
        "id": "p3",
        "upc": "3",
        "name": "Chair",
        "price": {"amount": 54, "currency": "USD"},
        "weight": 50,
        "category": "GAMES",
        "createdBy": None,
        "brand": ref("Brand", id="b2"),
        "discontinuedReason": None,
    },
]
BRANDS = [{"id": "b1", "name": "Acme"}, {"id": "b2", "name": "Chairly"}]


def _products(_: Any, a: dict[str, Any]) -> list[dict[str, Any]]:
    f = a.get("filter") or {}
    out = [p for p in PRODUCTS if f.get("category") in (None, p["category"])]
    out = [p for p in out if f.get("maxPrice") is None or p["price"]["amount"] <= f["maxPrice"]]
    return sorted(out, key=lambda p: p["upc"], reverse=a.get("order") == "DESC")


def _search(_: Any, a: dict[str, Any]) -> list[dict[str, Any]]:
    term = a["term"].lower()
    hits = [ref("Product", **p) for p in PRODUCTS if term in p["name"].lower()]
    return hits + [ref("Brand", **b) for b in BRANDS if term in b["name"].lower()]


def _node(_: Any, a: dict[str, Any]) -> dict[str, Any] | None:
    p = _by(PRODUCTS, "id", a["id"])
    return ref("Product", **p) if p else None


products = Fixture(
    "products",
    HERE / "products.graphql",
    roots={
        "Query.product": lambda _, a: _by(PRODUCTS, "upc", a["upc"]),
        "Query.products": _products,
        "Query.topProducts": lambda _, a: PRODUCTS[: a.get("first", 3)],
        "Query.featured": lambda _, a: PRODUCTS[0],
        "Query.node": _node,
        "Query.search": _search,
    },
    entities={"Product": PRODUCTS, "Brand": BRANDS},
)

STOCK = [
    {"upc": "1", "inStock": True, "stockedAt": [ref("Warehouse", id="w1"), ref("Warehouse", id="w2")]},
    {"upc": "2", "inStock": False, "stockedAt": [ref("Warehouse", id="w2")]},
    {"upc": "3", "inStock": None, "stockedAt": []},
]
WAREHOUSES = [
    {"id": "w1", "name": "North", "carrier": ref("Carrier", code="KP", region={"country": "KR", "zone": 1})},
    {"id": "w2", "name": "South", "carrier": None},
]
CATEGORY_BY_UPC = {"1": "TOOLS", "2": "BOOKS", "3": "GAMES"}


def _in_stock(obj: dict[str, Any], _: dict[str, Any]) -> Any:
    if obj["upc"] == "3":
        fail("stock service timed out for upc 3")
    return obj["inStock"]


def _shipping_estimate(obj: dict[str, Any], _: dict[str, Any]) -> int:
    # Needs the @requires fields in the representation: a KeyError here means a bad plan.
    return int(obj["weight"] // 10 + (0 if obj["price"]["amount"] > 1000 else 5))


def _restock(_: Any, a: dict[str, Any]) -> list[dict[str, Any]]:
    f = a.get("filter") or {}
    out = [s for s in STOCK if f.get("category") in (None, CATEGORY_BY_UPC[s["upc"]])]
    if f.get("inStockOnly"):
        out = [s for s in out if s["inStock"]]
    return [
        ref("Product", upc=s["upc"])
        for s in sorted(out, key=lambda s: s["upc"], reverse=a.get("order") == "DESC")
    ]


inventory = Fixture(
    "inventory",
    HERE / "inventory.graphql",
    roots={"Query.restock": _restock},
    entities={"Product": STOCK, "Warehouse": WAREHOUSES},
    fields={"Product.inStock": _in_stock, "Product.shippingEstimate": _shipping_estimate},
)

CARRIERS = [
    {"code": "KP", "region": {"country": "KR", "zone": 1}, "name": "Korea Post"},
    {"code": "DH", "region": {"country": "DE", "zone": 2}, "name": "DHL"},
]
PARCELS = [
    {
        "carrierCode": "KP",
        "trackingNo": "T1",
        "status": "IN_TRANSIT",
        "recipient": ref("User", email="ada@example.com"),
    },
    {
        "carrierCode": "DH",
        "trackingNo": "T9",
        "status": "DELIVERED",
        "recipient": ref("User", email="linus@example.com"),
    },
]
SHIPPING = [
    {"upc": "1", "carrier": ref("Carrier", code="KP", region={"country": "KR", "zone": 1})},
    {"upc": "2", "carrier": ref("Carrier", code="DH", region={"country": "DE", "zone": 2})},
    {"upc": "3", "carrier": None},
]

shipping = Fixture(
    "shipping",
    HERE / "shipping.graphql",
    roots={"Query.parcels": lambda _, a: PARCELS},
    entities={"Product": SHIPPING, "Carrier": CARRIERS, "Parcel": PARCELS},
    fields={
        "Product.shippingCost": lambda o, _: int(o["shippingEstimate"]) * 3,
        "Product.warehouseCount": lambda o, _: len([w["id"] for w in o["stockedAt"]]),
    },
)

REVIEWS = [
    {
        "id": "r1",
        "createdAt": "2026-01-05T10:00:00Z",
        "body": "Solid table",
        "rating": 5,
        "author": {**ref("User", id="u1"), "name": "Ada"},
        "product": ref("Product", id="p1"),
        "related": [ref("Product", id="p2"), ref("Review", id="r2")],
    },
    {
        "id": "r2",
        "createdAt": "2026-02-11T08:30:00Z",
        "body": "Wobbly",
        "rating": 2,
        "author": {**ref("User", id="u2"), "name": "Grace"},
        "product": ref("Product", id="p1"),
        "related": [],
    },
    {
        "id": "r3",
        "createdAt": "2026-03-01T19:45:00Z",
        "body": "Comfy couch",
        "rating": 4,
        "author": {**ref("User", id="u1"), "name": "Ada"},
        "product": ref("Product", id="p2"),
        "related": [ref("Product", id="p1")],
    },
    # Not among latestReviews: refers to a product no subgraph knows.
    {
        "id": "r4",
        "createdAt": "2026-03-20T12:00:00Z",
        "body": "Lost parcel",
        "rating": 1,
        "author": {**ref("User", id="u2"), "name": "Grace"},
        "product": ref("Product", id="p3"),
        "related": [ref("Review", id="r1"), ref("Product", id="p404")],
    },
]


def _flagged(obj: dict[str, Any], _: dict[str, Any]) -> Any:
    if obj["id"] == "r2":
        fail("moderation service unavailable")
    return None


def _reviews_of(field: str, value: str) -> list[dict[str, Any]]:
    return [r for r in REVIEWS if r[field]["id"] == value]


def _average(obj: dict[str, Any], _: dict[str, Any]) -> float | None:
    rs = _reviews_of("product", obj["id"])
    return sum(r["rating"] for r in rs) / len(rs) if rs else None


def _add_review(_: Any, a: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "r-new",
        "createdAt": "2026-04-01T00:00:00Z",
        "body": a["body"],
        "rating": a["rating"],
        "author": {**ref("User", id="u1"), "name": "Ada"},
        "product": ref("Product", id=a["productId"]),
        "related": [],
        "flagged": None,
    }


def _rated(obj: dict[str, Any], a: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in _reviews_of("product", obj["id"]) if r["rating"] >= a["min"]][: a.get("first", 10)]


def _creator_label(obj: dict[str, Any], _: dict[str, Any]) -> str | None:
    creator = obj["createdBy"]  # a KeyError here means the plan left out the @requires input
    return f"made by {creator['name']}" if creator else None


reviews = Fixture(
    "reviews",
    HERE / "reviews.graphql",
    roots={
        "Mutation.addReview": _add_review,
        "Query.latestReviews": lambda _, a: REVIEWS[: a.get("limit", 2)],
        "Query.review": lambda _, a: _by(REVIEWS, "id", a["id"]),
        "Query.reviewsSince": lambda _, a: [r for r in REVIEWS[:3] if r["createdAt"] >= a["since"]],
    },
    entities={
        "Review": REVIEWS,
        "User": [{"id": u["id"]} for u in USERS],
        "Product": [{"id": p["id"]} for p in PRODUCTS],
    },
    fields={
        "Review.flagged": _flagged,
        "User.reviews": lambda o, _: _reviews_of("author", o["id"]),
        "User.reviewCount": lambda o, _: len(_reviews_of("author", o["id"])),
        "Product.reviews": lambda o, _: _reviews_of("product", o["id"]),
        "Product.averageRating": _average,
        "Product.reviewsRated": _rated,
        "Product.creatorLabel": _creator_label,
    },
)

legacy = Fixture("legacy", HERE / "legacy.graphql", roots={"Query.legacyReport": lambda _, a: "ok"})
promotions = Fixture("promotions", HERE / "promotions.graphql", broken=True)

SUBGRAPHS = [users, products, inventory, shipping, reviews, legacy, promotions]
DOWN = ["legacy"]
