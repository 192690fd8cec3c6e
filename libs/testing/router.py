"""The router as its own process (its real CLI, through `manpasik router`, which hands it the platform's token
check), for tests that go through the whole stack."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
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
    subgraphs: dict[str, str],
    settings: Settings,
    *,
    verify_tokens: bool = True,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    stderr: int | None = None,
) -> AsyncIterator[str]:
    """Starts `python -m manpasik router serve` over `subgraphs` (name -> /graphql URL); yields its base.
    `env`: added to its environment; `stderr`: where its log lines go (a file descriptor; default a pipe)."""
    port = free_port()
    cmd = [sys.executable, "-m", "manpasik", "router", "serve", "--port", str(port), *args]
    if verify_tokens:
        cmd.append("--verify-tokens")
    for name, url in subgraphs.items():
        cmd += ["--subgraph", f"{name}={url}"]
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        cwd=ROOT,
        env={**router_env(settings), **(env or {})},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE if stderr is None else stderr,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                if proc.returncode is not None:
                    said = (await proc.stderr.read()).decode()[-2000:] if proc.stderr is not None else ""
                    raise RuntimeError(f"router exited: {said}")
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
