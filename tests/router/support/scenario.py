"""Planner scenarios: `scenarios/<case>/` holds subgraph SDLs (+ data), an operation and the expected answer.

Files of a case:
  <subgraph>.graphql        SDL of each subgraph (the file name is the subgraph name)
  <subgraph>.json           its data (see fixture_subgraph.py); optional
  operation.graphql         the client operation
  expected.json             the complete expected response ({"data": ..., "errors": [...]})
  scenario.json             optional: {"variables": {}, "operationName": null, "headers": {},
                            "subgraph_requests": {"name": count}, "down": ["name"]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@dataclass
class Scenario:
    name: str
    path: Path
    sdls: dict[str, str]
    data: dict[str, dict[str, Any]]
    operation: str
    expected: dict[str, Any] | None
    meta: dict[str, Any] = field(default_factory=dict)


def _files(path: Path) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    sdls = {p.stem: p.read_text() for p in sorted(path.glob("*.graphql")) if p.stem != "operation"}
    data = {
        p.stem: json.loads(p.read_text())
        for p in sorted(path.glob("*.json"))
        if p.stem not in ("expected", "scenario")
    }
    return sdls, data


def load_scenario(path: Path) -> Scenario:
    """A case may name a shared `base` folder (e.g. "_shop") whose subgraphs it reuses."""
    expected_file = path / "expected.json"
    meta_file = path / "scenario.json"
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    sdls: dict[str, str] = {}
    data: dict[str, dict[str, Any]] = {}
    if meta.get("base"):
        sdls, data = _files(SCENARIOS / meta["base"])
    own_sdls, own_data = _files(path)
    sdls.update(own_sdls)
    data.update(own_data)
    for name in meta.get("without", []):
        sdls.pop(name, None)
    return Scenario(
        name=path.name,
        path=path,
        sdls=sdls,
        data=data,
        operation=(path / "operation.graphql").read_text() if (path / "operation.graphql").exists() else "",
        expected=json.loads(expected_file.read_text()) if expected_file.exists() else None,
        meta=meta,
    )


def all_scenarios() -> list[Path]:
    return sorted(p for p in SCENARIOS.iterdir() if (p / "operation.graphql").exists())
