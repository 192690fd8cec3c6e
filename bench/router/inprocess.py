# ruff: noqa: ASYNC220, ASYNC240  (a benchmark driver: file reads lie outside the measured window)
"""The router's own CPU per request, without sockets: subgraph answers are recorded once, then replayed.

Runs the shared benchmark's queries (../shared/bench/gateways/queries) through `Gateway.execute` — plan
cache, variables, executor (representations, merging), shaping, JSON — with a transport that answers each
subgraph request from a recording of the real subgraphs' answers. What is left out is HTTP on both sides
(aiohttp's server and client, the kernel), so the number moves only with the router's own work and is
steady on a busy machine. Every answer is compared with the first one.

    .venv/bin/python bench/router/inprocess.py [--checkout DIR] [--scenario main] [--requests 1000] \
        [--rounds 5] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: the repository's root
from bench.router.cpu_per_request import BENCH, SUBGRAPHS, wait_http


class Recording:
    """Asks the real subgraphs while recording; afterwards answers every request from the recording."""

    def __init__(self, live: Any) -> None:
        self.live = live
        self.answers: dict[tuple[str, bytes], bytes] = {}
        self.replay = False

    async def post(
        self,
        service: str,
        url: str,
        body: bytes,
        headers: dict[str, str],
        dedup: bool,
        idempotent: bool = False,
    ) -> bytes:
        if self.replay:
            await asyncio.sleep(0)  # a real fetch suspends the caller: other fetches start meanwhile
            return self.answers[(url, body)]
        data = await self.live.post(service, url, body, headers, dedup, idempotent)
        self.answers[(url, body)] = data
        return data

    async def close(self) -> None:
        await self.live.close()


async def run(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(Path(args.checkout).resolve()))  # the router build to measure
    from router.executor import AiohttpTransport
    from router.gateway import Gateway
    from router.supergraph import load_supergraph

    procs = []
    try:
        for i, name in enumerate(SUBGRAPHS):
            port = str(args.port_base + i)
            procs.append(
                subprocess.Popen(
                    ["node", "subgraphs/server.mjs", name, port], cwd=BENCH, stdout=subprocess.DEVNULL
                )
            )
        for i in range(len(SUBGRAPHS)):
            await wait_http(f"http://127.0.0.1:{args.port_base + i}/health")
        text = (BENCH / "supergraph.graphql").read_text()
        text = re.sub(
            r"127\.0\.0\.1:44(0[1-4])", lambda m: f"127.0.0.1:{args.port_base - 1 + int(m[1])}", text
        )
        transport = Recording(AiohttpTransport(dedup=False))
        gw = Gateway(load_supergraph(text), transport)
        headers = {"x-request-id": "bench"}
        print("| scenario | CPU ms / request (median) | per round |")
        print("|---|---|---|")
        for scenario in args.scenario or ["main", "fanout"]:
            query = (BENCH / "queries" / f"{scenario}.graphql").read_text()
            transport.replay = False
            status, first = await gw.execute(query, None, None, headers)
            assert status == 200 and b'"errors"' not in first, first[:300]
            transport.replay = True
            rounds = []
            prof = cProfile.Profile(time.thread_time) if args.profile else None
            for _ in range(args.rounds):
                if prof:
                    prof.enable()
                t0 = time.thread_time()
                for _ in range(args.requests):
                    status, body = await gw.execute(query, None, None, headers)
                    if body != first:
                        raise RuntimeError("the answer changed")
                rounds.append((time.thread_time() - t0) * 1000 / args.requests)
                if prof:
                    prof.disable()
            per = " ".join(f"{r:.3f}" for r in rounds)
            print(f"| {scenario} | {statistics.median(rounds):.3f} | {per} |")
            if prof:
                pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        await transport.close()
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", action="append", help="main, fanout (default both)")
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--port-base", type=int, default=4511)
    ap.add_argument("--checkout", default=".", help="the checkout whose router is measured")
    ap.add_argument("--profile", action="store_true", help="print a CPU-time profile of the replayed rounds")
    args = ap.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
