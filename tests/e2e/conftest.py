"""The real thing end to end: subgraphs served on sockets, the router as its own process (its real CLI)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest

from libs.config import Settings
from libs.testing import running_app
from libs.testing.operations import contract_operation
from libs.testing.router import router_process
from manpasik.registry import SUBGRAPHS

__all__ = ["Stack", "contract_operation"]


@dataclass
class Stack:
    url: str  # the router's /graphql
    subgraphs: dict[str, str]  # name -> that subgraph's own /graphql


# Module scope: the stack's event workers must be gone before other suites count their own store queries.
@pytest.fixture(scope="module")
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as exit_stack:
        urls: dict[str, str] = {}
        for row in SUBGRAPHS:  # each with its own settings from the environment, workers included
            app = row.create_app(settings, row.own())
            urls[row.name] = await exit_stack.enter_async_context(running_app(app)) + "/graphql"
        base = await exit_stack.enter_async_context(router_process(urls, settings))
        yield Stack(base + "/graphql", urls)
