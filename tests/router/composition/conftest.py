"""Inputs of the composition comparison: the project's subgraph SDLs and every fixture set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.router.federation_fixtures import SETS, sdl_files
from tests.router.federation_fixtures.processes import REPO, require_node_tools

PROJECT_SUBGRAPHS = REPO / "schema" / "subgraphs"
SOURCES = ("project", *SETS)


def source_files(source: str) -> dict[str, Path]:
    """Subgraph name -> SDL file. The project's are written by `make schema` and committed."""
    if source == "project":
        files = {p.stem: p for p in sorted(PROJECT_SUBGRAPHS.glob("*.graphql"))}
        assert files, f"no subgraph SDLs in {PROJECT_SUBGRAPHS}: run `make schema`"
        return files
    return sdl_files(source)


@pytest.fixture(scope="session")
def node() -> str:
    return require_node_tools()
