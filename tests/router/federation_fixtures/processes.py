"""Processes the interoperability suites run: the fixture server, our router, Hive Gateway, the npm composer.

When Node.js or tools/node/node_modules is missing, `require_node_tools()` skips the calling tests on a
developer's machine and fails them in CI (`CI=true`), where tools/ci-extras.sh must have installed them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from libs.testing import free_port

REPO = Path(__file__).resolve().parents[3]
NODE_DIR = REPO / "tools" / "node"
COMPOSE_JS = NODE_DIR / "compose.mjs"
HIVE_BIN = NODE_DIR / "node_modules" / "@graphql-hive" / "gateway" / "dist" / "bin.js"
COMPOSER_PKG = NODE_DIR / "node_modules" / "@theguild" / "federation-composition" / "package.json"


def require_node_tools() -> str:
    """The `node` executable, or skip (locally) / fail (CI) with what to install."""
    node = shutil.which("node")
    missing = []
    if node is None:
        missing.append("Node.js (`node` on PATH)")
    if not HIVE_BIN.exists() or not COMPOSER_PKG.exists():
        missing.append("the npm tools in tools/node/node_modules (run tools/ci-extras.sh)")
    if missing:
        msg = "federation interoperability tests need " + " and ".join(missing)
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    assert node is not None
    return node


def cli_compose(subgraphs: dict[str, tuple[str, Path]], out: Path) -> Path:
    """Supergraph file written by our CLI: `python -m router compose --subgraph NAME=URL@FILE -o OUT`."""
    args = [a for name, (url, path) in subgraphs.items() for a in ("--subgraph", f"{name}={url}@{path}")]
    res = subprocess.run(
        [sys.executable, "-m", "router", "compose", *args, "-o", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if res.returncode != 0:
        raise RuntimeError(f"router compose failed:\n{res.stderr}")
    return out


def npm_compose(node: str, subgraphs: dict[str, tuple[str, Path]]) -> str:
    """Supergraph SDL from @theguild/federation-composition; raises with its errors."""
    args = [f"{name}={url}@{path.resolve()}" for name, (url, path) in subgraphs.items()]
    res = subprocess.run(
        [node, str(COMPOSE_JS), *args], cwd=NODE_DIR, capture_output=True, text=True, timeout=60
    )
    if res.returncode != 0:
        raise RuntimeError(f"federation-composition failed:\n{res.stderr}")
    return res.stdout


@contextmanager
def fixture_server(*sets: str) -> Iterator[dict[str, dict[str, str]]]:
    """Runs serve.py in a subprocess; yields {set: {subgraph: url}}."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.router.federation_fixtures.serve", *sets],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"fixture server exited with {proc.wait(5)}")
        yield json.loads(line)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextmanager
def gateway(cmd: list[str], port: int, log: Path, ready_path: str, timeout: float = 60) -> Iterator[str]:
    """Starts a gateway command listening on `port`; yields its /graphql URL once `ready_path` answers 200."""
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[:3]} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(base + ready_path, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{cmd[:3]} not ready after {timeout}s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield base + "/graphql"
    finally:
        stop(proc)


def our_router(supergraph: Path) -> tuple[list[str], int]:
    port = free_port()
    cmd = [sys.executable, "-m", "router", "serve", "--supergraph", str(supergraph), "--port", str(port)]
    # Compared with gateways as they run by default: no retries and no breaker (they would change the
    # request counts the comparisons are about; both are tested in tests/router/test_resilience*.py).
    return [*cmd, "--timeout", "10", "--query-timeout", "10", "--retry-attempts", "1", "--no-breaker"], port


def hive_gateway(node: str, supergraph: Path) -> tuple[list[str], int]:
    port = free_port()
    cmd = [node, str(HIVE_BIN), "supergraph", str(supergraph), "--host", "127.0.0.1", "--port", str(port)]
    return [*cmd, "--fork", "1"], port
