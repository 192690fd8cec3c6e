"""The router as its own process (its real CLI, through `manpasik router`, which hands it the platform's token
check), for tests that go through the whole stack."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from libs.config import Settings
from libs.testing.net import free_port

ROOT = Path(__file__).resolve().parents[2]


def router_env(settings: Settings) -> dict[str, str]:
    """Environment under which the router verifies tokens with the subgraphs' keys and revocation list."""
    return {
        **os.environ,
        "MANPASIK_ENV": "test",
        "JWT_SECRET": settings.jwt_secret,
        "REDIS_URL": settings.redis_url,
        "REDIS_PREFIX": settings.redis_prefix,
        "ROUTER_SUBGRAPH_SECRET": settings.router_subgraph_secret or "",
    }


@asynccontextmanager
async def router_process(
    subgraphs: dict[str, str], settings: Settings, *, verify_tokens: bool = True, args: Sequence[str] = ()
) -> AsyncIterator[str]:
    """Starts `python -m manpasik router serve` over `subgraphs` (name -> /graphql URL); yields its base."""
    port = free_port()
    cmd = [sys.executable, "-m", "manpasik", "router", "serve", "--port", str(port), *args]
    if verify_tokens:
        cmd.append("--verify-tokens")
    for name, url in subgraphs.items():
        cmd += ["--subgraph", f"{name}={url}"]
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        cwd=ROOT,
        env=router_env(settings),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                if proc.returncode is not None:
                    assert proc.stderr is not None
                    raise RuntimeError(f"router exited: {(await proc.stderr.read()).decode()[-2000:]}")
                try:
                    if (await client.get(base + "/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("router not ready after 30s")
        yield base
    finally:
        if proc.returncode is None:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 15)
