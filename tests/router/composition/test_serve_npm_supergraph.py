"""Our router serves a supergraph made by @theguild/federation-composition and answers exactly as it does
over the supergraph of our own composer (the differential corpus, over the fixture subgraphs)."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from router.compose import SubgraphSDL, compose
from tests.router.differential.compare import as_sets, error_paths, post
from tests.router.differential.corpus import OPS, Op
from tests.router.federation_fixtures import SETS, sdl_files
from tests.router.federation_fixtures.processes import REPO, fixture_server, gateway, npm_compose, our_router

Routers = dict[str, tuple[str, str]]  # set -> (router over npm's supergraph, router over ours)


@pytest.fixture(scope="module")
def routers(node: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Routers]:
    tmp: Path = tmp_path_factory.mktemp("npm-supergraph")
    with ExitStack() as stack:
        urls = stack.enter_context(fixture_server(*SETS))
        out: Routers = {}
        for name in SETS:
            files = sdl_files(name)
            theirs = tmp / f"{name}.npm.graphql"
            theirs.write_text(npm_compose(node, {n: (urls[name][n], p) for n, p in files.items()}))
            ours = tmp / f"{name}.ours.graphql"
            ours.write_text(compose([SubgraphSDL(n, urls[name][n], p.read_text()) for n, p in files.items()]))
            started = []
            for label, sdl_file in (("npm", theirs), ("ours", ours)):
                cmd, port = our_router(sdl_file)
                started.append(
                    stack.enter_context(gateway(cmd, port, tmp / f"{name}.{label}.log", "/health"))
                )
            out[name] = (started[0], started[1])
        yield out


CASES = [op for op in OPS if op.router_bug is None]


def test_health(routers: Routers) -> None:
    for npm_url, _ in routers.values():
        assert httpx.get(npm_url.removesuffix("/graphql") + "/health", timeout=5).status_code == 200


@pytest.mark.parametrize("op", CASES, ids=[op.name for op in CASES])
def test_same_answer_over_npm_supergraph(op: Op, routers: Routers) -> None:
    over_npm, over_ours = (post(u, op) for u in routers[op.fixture_set])
    assert bool(over_npm.get("errors")) == op.errors, over_npm
    norm = as_sets if op.unordered else (lambda v: v)  # the two files order types differently
    assert norm(over_npm.get("data")) == norm(over_ours.get("data")), f"\nnpm: {over_npm}\nours: {over_ours}"
    assert error_paths(over_npm) == error_paths(over_ours)


def test_router_on_npm_supergraph_exits_cleanly_on_sigterm(node: str, tmp_path: Path) -> None:
    files = sdl_files("media")
    supergraph = tmp_path / "media.npm.graphql"
    supergraph.write_text(npm_compose(node, {n: (f"http://127.0.0.1:1/{n}", p) for n, p in files.items()}))
    cmd, port = our_router(supergraph)
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("router did not answer /health")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, proc.stderr.read() if proc.stderr else ""
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # the port is free again
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
