"""Differential tests: every operation of differential/<set>.graphql runs through our router and through
Hive Gateway (@graphql-hive/gateway) over the same fixture subgraphs and the same supergraph file.
`data` must be equal and `errors` equivalent (same paths, same codes); documented exceptions below."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from graphql import OperationDefinitionNode, parse

from router.compose import SubgraphSDL, compose
from router.executor import AiohttpTransport
from router.gateway import Gateway, RequestError
from router.supergraph import load_supergraph
from tests.router.conftest import running_subgraphs
from tests.router.support.node import interop_dir
from tests.router.support.scenario import SCENARIOS, load_scenario

CORPUS = Path(__file__).resolve().parent / "differential"


def _corpus() -> list[tuple[str, str]]:
    out = []
    for f in sorted(CORPUS.glob("*.graphql")):
        for d in parse(f.read_text()).definitions:
            if isinstance(d, OperationDefinitionNode) and d.name:
                out.append((f.stem, d.name.value))
    return out


CASES = _corpus()


# Where Hive Gateway and the Federation spec disagree, the spec decides: these cases assert the answer
# the spec (and the fixture data) require, and say why Hive's differs.
SPEC_ANSWERS: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("interface-across-subgraphs", "InterfaceInline"): (
        "Hive Gateway 2.15.1 answers null for User.name and Team.size when the interface selection also has "
        "`id` at the interface level; both fields are resolvable through the types' @key in subgraph people, "
        "so the spec requires their values.",
        {"data": {"nodes": [{"id": "u1", "name": "Ada"}, {"id": "t1", "size": 7}, None]}},
    ),
}


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Env:
    def __init__(self, gateway: Gateway, hive_url: str, document: str, variables: dict[str, Any]) -> None:
        self.gateway = gateway
        self.hive_url = hive_url
        self.document = document
        self.variables = variables


@pytest.fixture(scope="session")
async def environments() -> AsyncIterator[dict[str, Env]]:
    """One fixture-subgraph set + our gateway + Hive Gateway per corpus file, started on first use."""
    node_dir = interop_dir()
    envs: dict[str, Env] = {}
    async with AsyncExitStack() as stack:

        async def get(set_name: str) -> Env:
            if set_name in envs:
                return envs[set_name]
            sc = load_scenario(SCENARIOS / set_name)
            subs = await stack.enter_async_context(running_subgraphs(sc.sdls, sc.data))
            sdl = compose([SubgraphSDL(n, s.url, s.sdl) for n, s in subs.items()])
            sg_file = Path(node_dir) / f".supergraph-{set_name}.graphql"
            sg_file.write_text(sdl)
            port = _free_port()
            log = stack.enter_context((Path(node_dir) / f".hive-{set_name}.log").open("wb"))
            stack.callback((Path(node_dir) / f".hive-{set_name}.log").unlink, missing_ok=True)
            proc = subprocess.Popen(  # noqa: ASYNC220 - a long-lived child, not awaited
                [
                    "node",
                    "node_modules/@graphql-hive/gateway/dist/bin.js",
                    "supergraph",
                    str(sg_file),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--fork",
                    "1",
                ],
                cwd=node_dir,
                stdout=subprocess.DEVNULL,
                stderr=log,  # a file, not a pipe: a full pipe would stall the gateway
            )
            stack.callback(lambda: (proc.terminate(), proc.wait(10)))
            stack.callback(sg_file.unlink, missing_ok=True)
            url = f"http://127.0.0.1:{port}/graphql"
            async with aiohttp.ClientSession() as http:
                for _ in range(300):
                    try:
                        async with http.post(url, json={"query": "{ __typename }"}) as r:
                            if r.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError(f"Hive Gateway did not start on port {port}; see .hive-{set_name}.log")
            transport = AiohttpTransport(timeout=10, dedup=False)
            stack.push_async_callback(transport.close)
            gw = Gateway(load_supergraph(sdl), transport)
            corpus = CORPUS / f"{set_name}.graphql"
            variables = json.loads(corpus.with_suffix(".json").read_text())
            envs[set_name] = Env(gw, url, corpus.read_text(), variables)
            return envs[set_name]

        yield get  # type: ignore[misc]


def _error_summary(errors: list[dict[str, Any]] | None) -> list[tuple[Any, ...]]:
    return sorted((tuple(e.get("path") or ()), (e.get("extensions") or {}).get("code")) for e in errors or ())


@pytest.mark.parametrize(("set_name", "op"), CASES, ids=[f"{s}:{o}" for s, o in CASES])
async def test_same_answer_as_hive_gateway(environments: Any, set_name: str, op: str) -> None:
    env: Env = await environments(set_name)
    variables = env.variables.get(op)
    try:
        ours = await env.gateway.execute_dict(env.document, variables, op, {})
    except RequestError as exc:
        ours = {"errors": exc.errors}
    if (set_name, op) in SPEC_ANSWERS:
        _why, expected = SPEC_ANSWERS[(set_name, op)]
        assert ours == expected
        return
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            env.hive_url, json={"query": env.document, "operationName": op, "variables": variables}
        ) as r,
    ):
        theirs = await r.json()
    assert ours.get("data") == theirs.get("data")
    if "data" not in theirs or (theirs.get("data") is None and "data" not in ours):
        # Request errors (parse/validation): both refuse the operation; messages and codes are each
        # gateway's own vocabulary.
        assert bool(ours.get("errors")) == bool(theirs.get("errors"))
        return
    assert [p for p, _ in _error_summary(ours.get("errors"))] == [
        p for p, _ in _error_summary(theirs.get("errors"))
    ]
    assert _error_summary(ours.get("errors")) == _error_summary(theirs.get("errors"))
