"""Composition: subgraph SDLs -> a Federation v2 supergraph SDL (`@link` + `join__*`), deterministic."""

from __future__ import annotations

from dataclasses import dataclass

from router.compose.errors import CompositionError
from router.compose.merge import Merger
from router.compose.printer import Printer
from router.compose.subgraph import parse_subgraph

__all__ = ["CompositionError", "SubgraphSDL", "compose"]


@dataclass(frozen=True)
class SubgraphSDL:
    name: str
    url: str
    sdl: str


def compose(subgraphs: list[SubgraphSDL]) -> str:
    if not subgraphs:
        raise CompositionError([("NO_SUBGRAPHS", "No subgraphs to compose.")])
    names = [s.name for s in subgraphs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CompositionError(
            [("DUPLICATE_SUBGRAPH", f'Subgraph name "{dupes[0]}" is used more than once.')]
        )
    parsed = [parse_subgraph(s.name, s.url, s.sdl) for s in subgraphs]
    sdl = Printer(Merger(parsed).merge()).print()
    _check_api_schema(sdl)
    return sdl


def _check_api_schema(sdl: str) -> None:
    """The merged schema must be a valid GraphQL schema (interfaces implemented, unions of objects, ...)."""
    from graphql import validate_schema

    from router.supergraph import SupergraphError, load_supergraph

    try:
        errors = validate_schema(load_supergraph(sdl).api_schema)
    except (SupergraphError, TypeError) as exc:
        raise CompositionError([("INVALID_GRAPHQL", f"The composed schema is invalid: {exc}")]) from None
    if errors:
        raise CompositionError(
            [("INVALID_GRAPHQL", f"The composed schema is invalid: {e.message}") for e in errors]
        )
