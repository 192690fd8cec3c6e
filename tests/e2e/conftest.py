"""The real thing end to end: subgraphs served on sockets, the router as its own process (its real CLI)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from libs.config import Settings
from libs.testing import running_app
from libs.testing.operations import contract_operation
from libs.testing.router import router_process
from manpasik.registry import SUBGRAPHS
from subgraphs.payment.sandbox import TossSandbox

__all__ = ["Stack", "contract_operation"]


@dataclass
class Stack:
    url: str  # the router's /graphql
    subgraphs: dict[str, str]  # name -> that subgraph's own /graphql
    toss: TossSandbox  # the payment provider (a third party), played by its local sandbox
    toss_url: str


# Module scope: the stack's event workers must be gone before other suites count their own store queries.
@pytest.fixture(scope="module")
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as exit_stack:
        toss = TossSandbox(secret_key="test_sk_e2e_" + secrets.token_hex(8))
        toss_url = await exit_stack.enter_async_context(running_app(toss.app()))
        overrides = {"payment": {"toss_api_url": toss_url, "toss_secret_key": toss.secret_key}}
        urls: dict[str, str] = {}
        owns: dict[str, Any] = {}  # each subgraph's own settings
        for row in SUBGRAPHS:  # each with its own settings from the environment, workers included
            owns[row.name] = row.own(**overrides.get(row.name, {}))
            app = row.create_app(settings, owns[row.name])
            urls[row.name] = await exit_stack.enter_async_context(running_app(app)) + "/graphql"
        if "payment" in urls:  # the sandbox's webhooks go to the payment subgraph, as Toss's would
            toss.webhook_url = urls["payment"].removesuffix("/graphql") + "/webhooks/toss"
        base = await exit_stack.enter_async_context(router_process(urls, settings))
        if "admin" in owns:  # systemHealth asks them all, as the dev stack configures it from the registry
            owns["admin"].subgraph_urls = {n: u.removesuffix("/graphql") for n, u in urls.items()}
            owns["admin"].router_url = base
        yield Stack(base + "/graphql", urls, toss, toss_url)
