"""Federation v2 fixture subgraphs that together use every directive, served by `serve.py`.

Sets (one folder each: `<subgraph>.graphql` files + resolvers in `__init__.py`):
  commerce  @key (single, compound, nested, several, renamed import, resolvable: false), @shareable
            (also as `@federation__shareable`), @external, @requires (and a chain of them), @provides,
            @override(from:), @inaccessible, @tag, interface and union spread over subgraphs, enum and
            input merge rules, mutations; `legacy` is declared but down, `promotions` answers HTTP 500
  media     an entity interface and an @interfaceObject over it
"""

from __future__ import annotations

import importlib
from pathlib import Path

from tests.router.federation_fixtures.fixture import Fixture

FIXTURES = Path(__file__).resolve().parent
SETS = ("commerce", "media")
DOWN_URL = "http://127.0.0.1:1/graphql"  # nothing listens on port 1: connection refused


def load_set(name: str) -> tuple[list[Fixture], list[str]]:
    """The subgraphs of a set and the names of those kept down."""
    mod = importlib.import_module(f"tests.router.federation_fixtures.{name}")
    return list(mod.SUBGRAPHS), list(mod.DOWN)


def sdl_files(name: str) -> dict[str, Path]:
    return {p.stem: p for p in sorted((FIXTURES / name).glob("*.graphql"))}
