"""Router test fixtures: data-driven fixture subgraphs on free ports, and a gateway over them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from router.compose import SubgraphSDL, compose
from router.executor import AiohttpTransport
from router.executor.resilience import FetchPolicy
from router.gateway import Gateway
from router.supergraph import load_supergraph
from tests.router.support.fixture_subgraph import FixtureSubgraph


@asynccontextmanager
async def running_subgraphs(
    sdls: dict[str, str], data: dict[str, dict[str, Any]]
) -> AsyncIterator[dict[str, FixtureSubgraph]]:
    subs = {n: FixtureSubgraph(n, sdl, data.get(n, {})) for n, sdl in sdls.items()}
    try:
        for s in subs.values():
            await s.start()
        yield subs
    finally:
        for s in subs.values():
            await s.stop()


@asynccontextmanager
async def gateway_over(
    subs: dict[str, FixtureSubgraph], dedup: bool = False, policy: FetchPolicy | None = None
) -> AsyncIterator[Gateway]:
    sdl = compose([SubgraphSDL(n, s.url, s.sdl) for n, s in subs.items()])
    transport = AiohttpTransport(timeout=5, dedup=dedup, policy=policy)
    try:
        yield Gateway(load_supergraph(sdl), transport)
    finally:
        await transport.close()


GatewayFactory = Callable[[dict[str, str], dict[str, dict[str, Any]]], Awaitable[Gateway]]


@pytest.fixture
def fixture_subgraphs() -> Any:
    return running_subgraphs
