"""The media fixture set: an entity interface (media) and an @interfaceObject over it (ratings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.router.federation_fixtures.fixture import Fixture, fail, ref

HERE = Path(__file__).resolve().parent

BOOKS = [{"id": "m1", "title": "Dune", "pages": 412}, {"id": "m3", "title": "Emma", "pages": 300}]
MOVIES = [{"id": "m2", "title": "Alien", "minutes": 117}]
ALL = [ref("Book", **BOOKS[0]), ref("Movie", **MOVIES[0]), ref("Book", **BOOKS[1])]

media = Fixture(
    "media",
    HERE / "media.graphql",
    roots={
        "Query.media": lambda _, a: ALL,
        "Query.mediaItem": lambda _, a: next((m for m in ALL if m["id"] == a["id"]), None),
    },
    entities={"Book": BOOKS, "Movie": MOVIES},
)

RATINGS = [
    {"id": "m1", "stars": 5, "reviewers": ["ada", "grace"]},
    {"id": "m2", "stars": 4, "reviewers": []},
    {"id": "m3", "stars": 2, "reviewers": ["linus"]},
]


def _trend(obj: dict[str, Any], _: dict[str, Any]) -> int:
    if obj["id"] == "m2":
        fail("trend service unavailable")
    return int(obj["stars"]) * 10


ratings = Fixture(
    "ratings",
    HERE / "ratings.graphql",
    roots={"Query.topRated": lambda _, a: [ref("Media", **r) for r in RATINGS[: a.get("first", 2)]]},
    entities={"Media": RATINGS},
    fields={"Media.trend": _trend},
)

SUBGRAPHS = [media, ratings]
DOWN: list[str] = []
