"""The app's own paths through the router at a constant offered rate (open loop): requests start on a fixed
schedule whatever the earlier ones are doing, and each latency counts from its scheduled start, so a slow
server cannot slow the client down and hide its queue (no coordinated omission).

Starts its own dev stack (the embedded default: SQLite, nx-27017, local Redis; `--database-url` for
PostgreSQL; ports shifted by --port-offset) unless --router is given, signs up --users users with 30
readings each, then offers each rate of --rates for --duration seconds after a short warm-up:

    .venv/bin/python bench/app/open_loop.py --mix home --rates 50 --duration 30
    .venv/bin/python bench/app/open_loop.py --mix mobile --rates 50,100,150,200,250   # where it saturates

Mixes: `home` (the Home query only); `mobile` (Home 40 %, RecordMeasurement 20 %, MeasurementHistory 20 %,
Notifications 20 %). The router's rate limits are off here (one client address stands for many phones).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import secrets
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: the repository's root
from bench.chain.latency import pct, start_stack
from libs.testing.operations import contract_operation

MIXES = {
    "home": [("Home", 1)],
    "mobile": [("Home", 4), ("RecordMeasurement", 2), ("MeasurementHistory", 2), ("Notifications", 2)],
}


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    failed: int = 0
    examples: list[str] = field(default_factory=list)


def _reading(minutes_ago: float) -> dict[str, Any]:
    return {"type": "BLOOD_GLUCOSE", "value": 95 + secrets.randbelow(60), "unit": "mg/dL", "source": "MANUAL",
            "takenAt": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
            "clientId": secrets.token_hex(8)}


def _variables(op: str) -> dict[str, Any]:
    since = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    if op == "Home":
        return {"since": since}
    if op == "RecordMeasurement":
        return {"input": _reading(0)}
    if op == "MeasurementHistory":
        return {"type": "BLOOD_GLUCOSE", "since": since, "first": 20}
    return {"first": 20}


async def _post(http: aiohttp.ClientSession, url: str, query: str, variables: dict[str, Any],
                token: str | None = None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with http.post(url, json={"query": query, "variables": variables}, headers=headers) as r:
        body: dict[str, Any] = await r.json(content_type=None)
        if r.status != 200 and "errors" not in body:
            body["errors"] = [{"message": f"HTTP {r.status}"}]
        return body


async def _users(http: aiohttp.ClientSession, url: str, n: int) -> list[str]:
    tokens = []
    for _ in range(n):
        r = await _post(http, url, contract_operation("SignUp"), {"input": {
            "email": f"bench-{secrets.token_hex(6)}@example.com",
            "password": "bench-password-" + secrets.token_hex(4), "displayName": "Bench", "locale": "ko-KR"}})
        assert "errors" not in r, r
        token = r["data"]["signUp"]["tokens"]["accessToken"]
        batch = [_reading(60 * i + 5) for i in range(30)]  # a week of readings, some every few hours
        done = await _post(http, url, contract_operation("RecordMeasurements"), {"inputs": batch}, token)
        assert "errors" not in done, done
        tokens.append(token)
    return tokens


async def offer(http: aiohttp.ClientSession, url: str, tokens: list[str], mix: str, rate: float,
                seconds: float) -> tuple[Outcome, float]:
    ops = [name for name, weight in MIXES[mix] for _ in range(weight)]
    docs = {name: contract_operation(name) for name in set(ops)}
    outcome = Outcome()
    pending: set[asyncio.Task[None]] = set()

    async def one(op: str, token: str, scheduled: float) -> None:
        try:
            r = await _post(http, url, docs[op], _variables(op), token)
        except Exception as exc:  # a refused or dropped connection is a failed request, not the end
            r = {"errors": [{"message": repr(exc)}]}
        if r.get("errors") or not r.get("data"):
            outcome.failed += 1
            if len(outcome.examples) < 3:
                outcome.examples.append(f"{op}: {str(r.get('errors'))[:200]}")
        else:
            outcome.latencies.append(time.perf_counter() - scheduled)

    start = time.perf_counter()
    n = int(rate * seconds)
    pick = zip(itertools.cycle(ops), itertools.cycle(tokens), strict=False)
    for i in range(n):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        op, token = next(pick)
        task = asyncio.create_task(one(op, token, scheduled))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending, timeout=30)
    return outcome, time.perf_counter() - start


async def run(url: str, args: argparse.Namespace) -> None:
    conn = aiohttp.TCPConnector(limit=args.connections)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=30)) as http:
        tokens = await _users(http, url, args.users)
        print(f"mix {args.mix}, {args.users} users with 30 readings each, {args.duration:.0f} s per rate "
              f"after {args.warmup:.0f} s of warm-up, up to {args.connections} connections")
        print("| offered rps | completed rps | success % | p50 ms | p95 ms | p99 ms | max ms |")
        print("|---|---|---|---|---|---|---|")
        for rate in args.rates:
            await offer(http, url, tokens, args.mix, rate, args.warmup)
            got, elapsed = await offer(http, url, tokens, args.mix, rate, args.duration)
            lat = got.latencies
            total = len(lat) + got.failed
            ok = 100 * len(lat) / max(total, 1)
            if lat:
                print(f"| {rate:g} | {len(lat) / elapsed:.1f} | {ok:.2f} | {pct(lat, 50):.1f} | "
                      f"{pct(lat, 95):.1f} | {pct(lat, 99):.1f} | {max(lat) * 1000:.0f} |", flush=True)
            else:
                print(f"| {rate:g} | 0 | 0 | - | - | - | - |", flush=True)
            for example in got.examples:
                print(f"  failed: {example}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--router", help="an already running router's /graphql URL")
    ap.add_argument("--mix", choices=sorted(MIXES), default="home")
    ap.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")], default=[50.0])
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--connections", type=int, default=256)
    ap.add_argument("--port-offset", type=int, default=32000)
    ap.add_argument("--database-url", help="a PostgreSQL server URL for the SQL subgraphs (else SQLite)")
    args = ap.parse_args()
    proc = None
    url = args.router
    if url is None:
        os.environ["ROUTER_RATE_LIMITS"] = "off"
        proc, url = start_stack(args.port_offset, args.database_url)
    try:
        asyncio.run(run(url, args))
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGINT)
            proc.wait(30)


if __name__ == "__main__":
    main()
