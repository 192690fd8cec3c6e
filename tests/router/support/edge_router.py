"""The router as its own process (`python -m router`) over the edge fixture subgraphs (tests/router/edge/),
started with edge flags; every subgraph request is logged, so a test can prove a refusal asked none."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from router.compose import SubgraphSDL, compose
from tests.router.conftest import running_subgraphs
from tests.router.support.fixture_subgraph import FixtureSubgraph

REPO = Path(__file__).resolve().parents[3]
EDGE = REPO / "tests" / "router" / "edge"


@dataclass
class EdgeRouter:
    url: str  # /graphql
    subgraphs: dict[str, FixtureSubgraph]

    def subgraph_requests(self) -> int:
        return sum(len(s.requests) for s in self.subgraphs.values())


@asynccontextmanager
async def router_with(
    *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m router ARGS --port 0`; yields the process once it printed its ready line (`.url` set)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "router", *args, "--port", "0",
        cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stderr is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        if not line.startswith("router ready on "):
            raise RuntimeError(
                f"router did not start: {line!r} {(await proc.stderr.read()).decode()[-2000:]}"
            )
        proc.url = line.split(" on ", 1)[1].strip()  # type: ignore[attr-defined]
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 15)


@asynccontextmanager
async def edge_fixture_subgraphs() -> AsyncIterator[tuple[dict[str, FixtureSubgraph], Path]]:
    """The fixture subgraphs (auth, payment, people) on free ports, and a supergraph file over them."""
    sdls = {p.stem: p.read_text() for p in sorted(EDGE.glob("*.graphql"))}
    data = json.loads((EDGE / "data.json").read_text())
    async with running_subgraphs(sdls, data) as subs:
        sdl = compose([SubgraphSDL(n, s.url, s.sdl) for n, s in subs.items()])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "supergraph.graphql"
            path.write_text(sdl)
            yield subs, path


@asynccontextmanager
async def edge_router(*args: str, env: dict[str, str] | None = None) -> AsyncIterator[EdgeRouter]:
    async with (
        edge_fixture_subgraphs() as (subs, supergraph),
        router_with("--supergraph", str(supergraph), *args, env=env) as proc,
    ):
        yield EdgeRouter(proc.url, subs)  # type: ignore[attr-defined]
