"""Our composer against @theguild/federation-composition: both supergraphs must be equivalent
(same API schema, subgraphs, keys and field ownership), and Hive Gateway must accept ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.compose import SubgraphSDL, compose
from tests.router.support.node import theguild_compose
from tests.router.support.scenario import SCENARIOS, load_scenario
from tests.router.support.supergraph_compare import describe

REPO = Path(__file__).resolve().parents[2]


def _fixture_sets() -> dict[str, list[SubgraphSDL]]:
    sets: dict[str, list[SubgraphSDL]] = {}
    for case in [
        "_shop",
        "union-across-subgraphs",
        "interface-across-subgraphs",
        "override-and-keys",
        "mutation-sequence",
        "differential",
    ]:
        folder = SCENARIOS / case
        if not folder.exists():
            continue
        sdls = {p.stem: p.read_text() for p in sorted(folder.glob("*.graphql")) if p.stem != "operation"}
        sets[case] = [SubgraphSDL(n, f"http://127.0.0.1:9/{n}", s) for n, s in sdls.items()]
    for folder in sorted((Path(__file__).parent / "federation_fixtures").glob("*/")):
        sdl_files = sorted(folder.glob("*.graphql"))
        if sdl_files:
            sets[f"federation_fixtures/{folder.name}"] = [
                SubgraphSDL(p.stem, f"http://127.0.0.1:9/{p.stem}", p.read_text()) for p in sdl_files
            ]
    project = sorted((REPO / "schema" / "subgraphs").glob("*.graphql"))
    if project:
        sets["project"] = [
            SubgraphSDL(p.stem, f"http://127.0.0.1:9/{p.stem}", p.read_text()) for p in project
        ]
    return sets


FIXTURES = _fixture_sets()


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_same_supergraph_as_theguild_composition(name: str) -> None:
    subs = FIXTURES[name]
    ours = describe(compose(subs))
    theirs = describe(theguild_compose(subs))
    assert ours["graphs"] == theirs["graphs"]
    assert ours["api"] == theirs["api"]
    assert ours["types"].keys() == theirs["types"].keys()
    for t in ours["types"]:
        assert ours["types"][t] == theirs["types"][t], t


def test_scenario_fixtures_exist() -> None:
    assert load_scenario(SCENARIOS / "requires-provides").sdls
    assert len(FIXTURES) >= 5
