"""Measurement -> coaching -> notification latency, as the phone sees it, through the router.

Starts its own dev stack (embedded stores, every subgraph, the router; ports shifted by --port-offset) unless
--router is given. N users each hold one graphql-transport-ws socket to the router subscribed to
`OnNotification` and record one high glucose reading per --interval seconds (N / interval readings a
second in all); a reading's latency is the time from sending `recordMeasurement` to its notification arriving.

    .venv/bin/python bench/chain/latency.py --users 50 --interval 1 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parents[2]
SIGN_UP = (
    """mutation($input: SignUpInput!) { signUp(input: $input) { user { id } tokens { accessToken } } }"""
)
RECORD = """mutation($input: RecordMeasurementInput!) { recordMeasurement(input: $input) { id } }"""
ON_NOTIFICATION = "subscription { notificationReceived { id type title createdAt } }"


class User:
    def __init__(self, token: str) -> None:
        self.token = token
        self.sent: deque[float] = deque()
        self.latencies: list[float] = []
        self.recorded = 0


async def sign_up(client: httpx.AsyncClient, url: str) -> User:
    variables = {
        "input": {
            "email": f"bench-{secrets.token_hex(6)}@example.com",
            "password": "bench-password-" + secrets.token_hex(4),
            "displayName": "Bench",
            "locale": "ko-KR",
        }
    }
    r = (await client.post(url, json={"query": SIGN_UP, "variables": variables})).json()
    return User(r["data"]["signUp"]["tokens"]["accessToken"])


async def listen(user: User, ws_url: str, ready: asyncio.Event, stop: asyncio.Event) -> None:
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {user.token}"}})
        )
        ack = json.loads(await ws.recv())
        assert ack["type"] == "connection_ack", ack
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ON_NOTIFICATION}}))
        ready.set()
        while not stop.is_set():
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
            except TimeoutError:
                continue
            if message["type"] == "next" and message["payload"].get("data"):
                if user.sent:
                    user.latencies.append(time.perf_counter() - user.sent.popleft())
            elif message["type"] in ("error", "complete"):
                raise RuntimeError(f"subscription ended: {message}")


async def record_loop(
    user: User, client: httpx.AsyncClient, url: str, interval: float, until: float, offset: float
) -> None:
    await asyncio.sleep(offset)  # spread the users over the interval
    headers = {"authorization": f"Bearer {user.token}"}
    while time.perf_counter() < until:
        tick = time.perf_counter()
        variables = {
            "input": {
                "type": "BLOOD_GLUCOSE",
                "value": 260,
                "unit": "mg/dL",
                "source": "MANUAL",
                "context": "FASTING",
                "takenAt": datetime.now(UTC).isoformat(),
                "clientId": secrets.token_hex(8),
            }
        }
        user.sent.append(time.perf_counter())
        r = (await client.post(url, json={"query": RECORD, "variables": variables}, headers=headers)).json()
        if r.get("errors"):
            user.sent.pop()
            raise RuntimeError(r["errors"])
        user.recorded += 1
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - tick)))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


async def measure(url: str, users_n: int, interval: float, duration: float) -> None:
    ws_url = url.replace("http://", "ws://")
    limits = httpx.Limits(max_connections=users_n * 2, max_keepalive_connections=users_n * 2)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        users = [await sign_up(client, url) for _ in range(users_n)]
        stop = asyncio.Event()
        readies = [asyncio.Event() for _ in users]
        listeners = [
            asyncio.create_task(listen(u, ws_url, r, stop)) for u, r in zip(users, readies, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
        await asyncio.sleep(0.5)
        start = time.perf_counter()
        until = start + duration
        await asyncio.gather(
            *(
                record_loop(u, client, url, interval, until, i * interval / users_n)
                for i, u in enumerate(users)
            )
        )
        elapsed = time.perf_counter() - start
        deadline = time.perf_counter() + 10  # let the last notifications arrive
        while time.perf_counter() < deadline and any(u.sent for u in users):  # noqa: ASYNC110 (polls many)
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.gather(*listeners, return_exceptions=True)
    latencies = [lat for u in users for lat in u.latencies]
    recorded = sum(u.recorded for u in users)
    print(
        f"recorded {recorded} measurements in {elapsed:.1f}s ({recorded / elapsed:.1f}/s) by {users_n} users"
    )
    print(
        f"notifications delivered: {len(latencies)} of {recorded} "
        f"({sum(len(u.sent) for u in users)} not delivered within 10s)"
    )
    if latencies:
        print(
            f"measurement -> notification latency ms: p50 {pct(latencies, 50):.0f}"
            f"  p95 {pct(latencies, 95):.0f}"
            f"  p99 {pct(latencies, 99):.0f}  max {max(latencies) * 1000:.0f}  "
            f"mean {statistics.fmean(latencies) * 1000:.0f}"
        )


def start_stack(offset: int, database_url: str | None) -> tuple[subprocess.Popen[str], str]:
    data = tempfile.mkdtemp(prefix="bench-chain-")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MONGODB_URL")}
    env.update(MANPASIK_ENV="dev", LOG_LEVEL="WARNING")
    if database_url:  # PostgreSQL instead of SQLite files, in databases of their own
        env.update(DATABASE_URL=database_url, DB_SUFFIX=f"_bench{secrets.token_hex(3)}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "manpasik", "dev", "--data-dir", data, "--port-offset", str(offset)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "dev stack is up" in line:
            return proc, f"http://127.0.0.1:{8080 + offset}/graphql"
        if "failed to start" in line:
            break
    proc.kill()
    raise SystemExit("dev stack did not start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--router", help="an already running router's /graphql URL")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between one user's readings")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--port-offset", type=int, default=31000)
    parser.add_argument("--database-url", help="a PostgreSQL server URL for the SQL subgraphs (else SQLite)")
    args = parser.parse_args()
    proc = None
    url = args.router
    if url is None:
        proc, url = start_stack(args.port_offset, args.database_url)
    try:
        asyncio.run(measure(url, args.users, args.interval, args.duration))
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
