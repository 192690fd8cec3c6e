"""The real thing end to end: subgraphs served on sockets, the router as its own process (its real CLI)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from graphql import OperationDefinitionNode, parse, print_ast

from libs.cli import available_subgraphs
from libs.config import Settings
from libs.testing import free_port, running_app

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = ROOT / "schema" / "operations"


def contract_operation(name: str, file: str = "mobile.graphql") -> str:
    """One operation of the app's contract, by name, exactly as the app sends it."""
    for d in parse((OPERATIONS / file).read_text()).definitions:
        if isinstance(d, OperationDefinitionNode) and d.name and d.name.value == name:
            return print_ast(d)
    raise KeyError(name)


def _router_env(settings: Settings) -> dict[str, str]:
    """The router verifies tokens with the same keys and revocation list as the subgraphs."""
    return {
        **os.environ,
        "MANPASIK_ENV": "test",
        "JWT_SECRET": settings.jwt_secret,
        "REDIS_URL": settings.redis_url,
        "REDIS_PREFIX": settings.redis_prefix,
    }


class Stack:
    def __init__(self, router_url: str, subgraph_urls: dict[str, str]) -> None:
        self.url = router_url
        self.subgraphs = subgraph_urls


@pytest.fixture(scope="session")
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    import importlib

    async with AsyncExitStack() as exit_stack:
        urls: dict[str, str] = {}
        for name in available_subgraphs():
            app = importlib.import_module(f"subgraphs.{name}.app").create_app(settings)
            base = await exit_stack.enter_async_context(running_app(app))
            urls[name] = base + "/graphql"
        port = free_port()
        cmd = [sys.executable, "-m", "router", "serve", "--verify-tokens", "--port", str(port)]
        for name, url in urls.items():
            cmd += ["--subgraph", f"{name}={url}"]
        router = await asyncio.create_subprocess_exec(
            *cmd,
            cwd=ROOT,
            env=_router_env(settings),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with httpx.AsyncClient() as client:
                for _ in range(300):
                    if router.returncode is not None:
                        assert router.stderr is not None
                        raise RuntimeError(f"router exited: {(await router.stderr.read()).decode()[-2000:]}")
                    try:
                        if (await client.get(f"http://127.0.0.1:{port}/ready")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError("router not ready after 30s")
            yield Stack(f"http://127.0.0.1:{port}/graphql", urls)
        finally:
            router.terminate()
            await asyncio.wait_for(router.wait(), 15)
