"""Session fixtures: the fixture subgraphs, one supergraph file per fixture set (written by our CLI,
`python -m router compose`), and both gateways over that file (our router and Hive Gateway), each started
once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.router.federation_fixtures import DOWN_URL, SETS, sdl_files
from tests.router.federation_fixtures.processes import (
    cli_compose,
    fixture_server,
    gateway,
    hive_gateway,
    our_router,
    require_node_tools,
)


@dataclass(frozen=True)
class Gateways:
    ours: str
    hive: str
    requests: str  # GET: subgraph request counts since the last GET


@pytest.fixture(scope="session")
def gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Gateways]]:
    node = require_node_tools()
    tmp: Path = tmp_path_factory.mktemp("differential")
    with ExitStack() as stack:
        urls = stack.enter_context(fixture_server(*SETS))
        served = urlsplit(next(u for sub in urls.values() for u in sub.values() if u != DOWN_URL))
        requests = f"{served.scheme}://{served.netloc}/_requests"
        out: dict[str, Gateways] = {}
        for name in SETS:
            files = sdl_files(name)
            supergraph = cli_compose(
                {n: (urls[name][n], p) for n, p in files.items()}, tmp / f"{name}.supergraph.graphql"
            )
            cmd, port = our_router(supergraph)
            ours = stack.enter_context(gateway(cmd, port, tmp / f"{name}.router.log", "/health"))
            cmd, port = hive_gateway(node, supergraph)
            hive = stack.enter_context(gateway(cmd, port, tmp / f"{name}.hive.log", "/readiness"))
            out[name] = Gateways(ours, hive, requests)
        yield out
