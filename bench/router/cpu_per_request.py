# ruff: noqa: ASYNC220, ASYNC240  (a benchmark driver: process starts and file writes lie outside the measured window)
"""CPU time per request of router builds, over the shared benchmark's subgraphs (../shared/bench/gateways).

Throughput on the shared 2-core machine swings with whoever else is running; the router's own CPU time per
request (utime + stime from /proc/<pid>/stat over a fixed number of requests) is much steadier, so two builds
can be compared without interleaving rounds.  Every response is checked against the first one.

    .venv/bin/python bench/router/cpu_per_request.py \
        --target now=. --target base=/tmp/r9base [--requests 2000] [--concurrency 50] [--rounds 3]

A target is NAME=CHECKOUT: the router is run from that checkout (`python -m router`) with this venv's Python;
`--args NAME="--flag value ..."` adds router flags to one target (e.g. the edge's rate limits over Redis:
`--target limits=. --args limits="--rate-limits on --redis-url redis://127.0.0.1:6379/0
--rate-limit-general 1000000/1000000"`, a budget the benchmark never exhausts, so every request still
pays the Redis round trip).
`--py-spy DIR` records each measured run's router with py-spy (collapsed stacks,
DIR/<scenario>-<target>-<round>.txt); `bench/router/frames.py` prints their top frames.
Subgraphs listen on --port-base..+3 (4501-4504 by default, away from the shared harness's 4401-4404).
`--target-env NAME:KEY=VALUE` sets a variable for one target's router; `{otlp}` in a value is the address
of an OTLP/HTTP trace sink this script runs (it counts the spans it is sent), e.g. telemetry off vs on:

    .venv/bin/python bench/router/cpu_per_request.py --target off=. --target on=. \
        --target-env off:ROUTER_METRICS=off --target-env on:OTEL_EXPORTER_OTLP_ENDPOINT={otlp}
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from bench.router.otlp_sink import SpanSink  # noqa: E402
from libs.testing import free_port  # noqa: E402

BENCH = Path(os.environ.get("GATEWAY_BENCH_DIR", REPO.parent / "shared" / "bench" / "gateways"))
SUBGRAPHS = ("accounts", "inventory", "products", "reviews")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


async def wait_http(url: str, body: dict[str, str] | None = None) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            try:
                req = http.post(url, json=body) if body else http.get(url)
                async with req as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


async def load(url: str, query: str, requests: int, concurrency: int) -> bytes:
    """Sends `requests` requests over `concurrency` connections; returns the (identical) response body."""
    body = {"query": query}
    first: list[bytes] = []
    left = requests

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            async with http.post(url, json=body) as r:
                data = await r.read()
            if r.status != 200 or b'"errors"' in data:
                raise RuntimeError(f"bad response {r.status}: {data[:300]!r}")
            if not first:
                first.append(data)
            elif len(data) != len(first[0]):
                raise RuntimeError("response differs from the first one")

    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    return first[0]


async def measure(
    checkout: Path, supergraph: Path, query: str, args: argparse.Namespace, env: dict[str, str],
    extra: list[str], label: str = "",
) -> tuple[float, float]:
    """(CPU ms per request, wall RPS) of one router process started from `checkout`."""
    port = free_port()
    cmd = [sys.executable, "-m", "router", "--supergraph", str(supergraph), "--port", str(port), *extra]
    if args.no_dedup:
        cmd.append("--no-dedup")
    proc = subprocess.Popen(cmd, cwd=checkout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, **env})
    try:
        url = f"http://127.0.0.1:{port}/graphql"
        await wait_http(url, {"query": "{ __typename }"})
        await load(url, query, args.warmup, args.concurrency)
        spy = None
        if args.py_spy:  # samples the measured window only (the OS process's own CPU is measured anyway)
            out = Path(args.py_spy) / f"{label}.txt"
            spy_bin = str(Path(sys.executable).parent / "py-spy")
            spy = subprocess.Popen([spy_bin, "record", "--pid", str(proc.pid), "--rate", "250", "--format",
                                    "raw", "--nonblocking", "--output", str(out)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            await asyncio.sleep(1.0)  # attached before the load starts
        cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
        await load(url, query, args.requests, args.concurrency)
        cpu1, t1 = cpu_seconds(proc.pid), time.perf_counter()
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            await asyncio.to_thread(spy.wait, 30)
        return (cpu1 - cpu0) * 1000 / args.requests, args.requests / (t1 - t0)
    finally:
        proc.terminate()
        # Off the loop: a router flushing its spans at exit needs the sink (in this loop) to answer.
        await asyncio.to_thread(proc.wait, 30)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", action="append", required=True, help="NAME=CHECKOUT")
    ap.add_argument("--args", action="append", default=[], help='NAME="router flags" for one target')
    ap.add_argument("--scenario", action="append", help="main, fanout (default both)")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--port-base", type=int, default=4501)
    ap.add_argument("--no-dedup", action="store_true", help="pass --no-dedup to the routers")
    ap.add_argument("--py-spy", metavar="DIR", help="record each run's router with py-spy "
                    "(DIR/<scenario>-<target>-<round>.txt; bench/router/frames.py reads them)")
    ap.add_argument("--target-env", action="append", default=[], help="NAME:KEY=VALUE ({otlp}: the sink)")
    args = ap.parse_args()
    targets = [(n, Path(p).resolve()) for n, p in (t.split("=", 1) for t in args.target)]
    extra = {n: shlex.split(a) for n, a in (t.split("=", 1) for t in args.args)}
    scenarios = args.scenario or ["main", "fanout"]
    sink = SpanSink()
    if any("{otlp}" in e for e in args.target_env):
        await sink.start()
    envs: dict[str, dict[str, str]] = {n: {} for n, _ in targets}
    for item in args.target_env:
        name, _, assignment = item.partition(":")
        key, _, value = assignment.partition("=")
        envs[name][key] = value.replace("{otlp}", sink.url)

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
        supergraph = Path(f"/tmp/cpu-bench-supergraph-{os.getpid()}.graphql")
        supergraph.write_text(text)
        print(
            f"{args.requests} requests x {args.rounds} rounds, concurrency {args.concurrency},",
            f"load {os.getloadavg()}",
        )
        print("| scenario | target | CPU ms / request (median) | per round | RPS (median) |")
        print("|---|---|---|---|---|")
        for scenario in scenarios:
            query = (BENCH / "queries" / f"{scenario}.graphql").read_text()
            runs: dict[str, list[tuple[float, float]]] = {n: [] for n, _ in targets}
            for r in range(args.rounds):
                order = targets[r % len(targets) :] + targets[: r % len(targets)]
                for name, checkout in order:
                    runs[name].append(await measure(checkout, supergraph, query, args, envs[name],
                                                    extra.get(name, []), f"{scenario}-{name}-{r + 1}"))
            for name, _ in targets:
                cpu = [c for c, _ in runs[name]]
                rps = [w for _, w in runs[name]]
                rounds = " ".join(f"{c:.2f}" for c in cpu)
                cpu_ms, wall = statistics.median(cpu), statistics.median(rps)
                print(f"| {scenario} | {name} | {cpu_ms:.2f} | {rounds} | {wall:.0f} |")
        supergraph.unlink()
        if sink.url:
            print(f"spans received by the OTLP sink: {sink.spans}")
    finally:
        await sink.stop()
        for p in procs:
            p.terminate()
            p.wait(10)


if __name__ == "__main__":
    asyncio.run(main())
