"""CPU time the edge adds to one request, measured in-process (steadier than whole-router numbers on a
busy machine): `Edge.admit` for the shared benchmark's queries (persisted-query check, the cached shape,
the rate limit: off, per process, or over Redis), plus the CORS/security-header hook on the answer.

    .venv/bin/python bench/router/edge_cost.py [--requests 20000] [--redis-url redis://127.0.0.1:6379/0]

Prints µs of this process's CPU (user + sys) per request for each configuration; compare with the router's
CPU ms per request from cpu_per_request.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import replace
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from router.edge import Edge, EdgeSettings
from router.edge.http import install
from router.edge.settings import Rate, RateLimits
from router.executor import AiohttpTransport
from router.gateway import Gateway
from router.supergraph import load_supergraph

REPO = Path(__file__).resolve().parents[2]
BENCH = Path(os.environ.get("GATEWAY_BENCH_DIR", REPO.parent / "shared" / "bench" / "gateways"))


async def admit_cost(gw: Gateway, settings: EdgeSettings, query: str, n: int, concurrency: int) -> float:
    """CPU µs per admit, `concurrency` requests in flight (as the router has under load)."""
    edge = Edge(settings)
    params = {"query": query}
    await edge.admit(gw, dict(params), "127.0.0.1", None)  # the document's shape is measured once

    async def worker(k: int) -> None:
        for _ in range(k):
            await edge.admit(gw, dict(params), "127.0.0.1", None)

    t0 = time.process_time()
    await asyncio.gather(*(worker(n // concurrency) for _ in range(concurrency)))
    spent = time.process_time() - t0
    await edge.aclose()
    return spent * 1e6 / n


async def header_cost(settings: EdgeSettings, n: int) -> float:
    app = web.Application()
    install(app, settings)
    hook = app.on_response_prepare[-1]
    request = make_mocked_request("POST", "/graphql", headers={"origin": "http://localhost:3000"})
    t0 = time.process_time()
    for _ in range(n):
        await hook(request, web.Response(body=b"{}", content_type="application/json"))
    base = time.process_time() - t0
    t0 = time.process_time()
    for _ in range(n):
        web.Response(body=b"{}", content_type="application/json")
    return (base - (time.process_time() - t0)) * 1e6 / n


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--concurrency", type=int, action="append", help="requests in flight (default 1 and 50)")
    args = ap.parse_args()
    transport = AiohttpTransport(timeout=5)
    gw = Gateway(load_supergraph((BENCH / "supergraph.graphql").read_text()), transport)
    huge = Rate(1e9, 10**9)
    base = replace(EdgeSettings(), limits=replace(EdgeSettings().limits, max_cost=10**9))
    configs = {
        "limits, no rate limits": base,
        "rate limits, per process": replace(base, rate_limits=RateLimits(enabled=True, general=huge)),
        "rate limits, Redis": replace(
            base,
            rate_limits=RateLimits(
                enabled=True, general=huge, redis_url=args.redis_url, redis_prefix="bench-edge:"
            ),
        ),
    }
    print(f"{args.requests} requests per line, load {os.getloadavg()}")
    print("| query | edge configuration | in flight | CPU µs / request |")
    print("|---|---|---|---|")
    for scenario in ("main", "fanout"):
        query = (BENCH / "queries" / f"{scenario}.graphql").read_text()
        for name, settings in configs.items():
            for c in args.concurrency or [1, 50]:
                cost = await admit_cost(gw, settings, query, args.requests, c)
                print(f"| {scenario} | {name} | {c} | {cost:.1f} |")
    headers = await header_cost(base, args.requests)
    print(f"| any | CORS + security headers on the answer | - | {headers:.1f} |")
    await transport.close()


if __name__ == "__main__":
    asyncio.run(main())
