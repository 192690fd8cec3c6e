"""recordMeasurement throughput: straight to the measurement subgraph, and through the router.

    .venv/bin/python bench/measurement/record.py [--duration 10] [--concurrency 32] [--via both]

Starts its own nx-27017 (or uses --mongo-url), the subgraph (uvicorn + uvloop + httptools, one process) and,
for --via router, the auth subgraph (SQLite, unless --no-auth) and `python -m router` composing both in front;
uses the machine's Redis (--redis-url) under a throwaway key prefix. Each request records one glucose reading
with a fresh clientId for one of --users users, so every request is a real insert + outbox marker + XADD +
marker clear. Prints requests/s, latency percentiles and the subgraph's CPU time per request (Linux; the
steadier number when other work shares the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from libs.auth.tokens import issue_access_token  # noqa: E402
from libs.config import Settings  # noqa: E402
from libs.testing import MongoServer, free_port  # noqa: E402
from subgraphs.measurement.settings import MeasurementSettings  # noqa: E402

RECORD = """mutation($input: RecordMeasurementInput!) {
  recordMeasurement(input: $input) { id value unit takenAt clientId } }"""
RECORD_MANY = """mutation($inputs: [RecordMeasurementInput!]!) {
  recordMeasurements(inputs: $inputs) { id clientId } }"""


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def _wait_ready(url: str, proc: subprocess.Popen[bytes], within_s: float = 60) -> None:
    deadline = time.monotonic() + within_s
    async with aiohttp.ClientSession() as s:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
                raise RuntimeError(f"{url} exited: {err}")
            try:
                async with s.get(url) as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {within_s}s")


def _body(n: int, i: int, batch: int) -> dict[str, object]:
    def reading(k: int) -> dict[str, object]:
        return {
            "type": "BLOOD_GLUCOSE",
            "value": 80 + (i + k) % 120,
            "unit": "mg/dL",
            "context": "FASTING",
            "clientId": f"bench-{n}-{i}-{k}-{uuid.uuid4().hex[:8]}",
        }

    if batch == 1:
        return {"query": RECORD, "variables": {"input": reading(0)}}
    return {"query": RECORD_MANY, "variables": {"inputs": [reading(k) for k in range(batch)]}}


async def _load(
    url: str, tokens: list[str], duration: float, concurrency: int, batch: int = 1, rate: float = 0.0
) -> dict[str, float]:
    """Closed loop (`concurrency` clients back to back), or open loop at `rate` requests/s when rate > 0."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + duration
    connector = aiohttp.TCPConnector(limit=concurrency)

    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(n: int, i: int) -> None:
            nonlocal errors
            headers = {
                "authorization": f"Bearer {tokens[n % len(tokens)]}",
                "content-type": "application/json",
            }
            t0 = time.perf_counter()
            async with session.post(url, json=_body(n, i, batch), headers=headers) as r:
                data = await r.json()
            latencies.append(time.perf_counter() - t0)
            if r.status != 200 or data.get("errors") or not (data.get("data") or {}):
                errors += 1

        async def worker(n: int) -> None:
            i = 0
            while time.monotonic() < stop_at:
                i += 1
                await one(n, i)

        async def paced() -> None:
            # Requests start on schedule whether or not earlier ones finished, as phones would send them.
            tasks, k, start = [], 0, time.monotonic()
            while (now := time.monotonic()) < stop_at:
                due = start + k / rate
                if now < due:
                    await asyncio.sleep(due - now)
                tasks.append(asyncio.create_task(one(k, k)))
                k += 1
            await asyncio.gather(*tasks)

        started = time.monotonic()
        if rate > 0:
            await paced()
        else:
            await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0

    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "mps": len(latencies) * batch / elapsed,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else 0.0,
    }


def _cpu_s(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far; None where /proc is not available."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load_measured(pid: int, *args: Any, **kwargs: Any) -> dict[str, float]:
    """`_load`, plus the subgraph process's CPU time per request: steadier than req/s on a busy machine."""
    before = _cpu_s(pid)
    r = await _load(*args, **kwargs)
    after = _cpu_s(pid)
    if before is not None and after is not None and r["requests"]:
        r["cpu_ms"] = (after - before) * 1000 / r["requests"]
    return r


def _report(label: str, r: dict[str, float]) -> None:
    cpu = f"  subgraph cpu {r['cpu_ms']:5.2f} ms/req" if "cpu_ms" in r else ""
    print(
        f"{label:<36} {r['requests']:>6.0f} req {r['errors']:>3.0f} err {r['rps']:>7.1f} req/s "
        f"{r['mps']:>7.1f} measurements/s  p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  "
        f"p99 {r['p99_ms']:6.1f} ms{cpu}",
        flush=True,
    )


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument(
        "--batch", type=int, default=0, help="also run recordMeasurements with N readings per request"
    )
    ap.add_argument("--rate", type=float, default=0.0, help="open loop at this many requests/s (latency)")
    ap.add_argument("--via", choices=["subgraph", "router", "both"], default="both")
    ap.add_argument("--mongo-url", help="a MongoDB to use instead of a fresh nx-27017")
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    ap.add_argument("--no-auth", action="store_true", help="router over the measurement subgraph only")
    args = ap.parse_args()

    run = secrets.token_hex(4)
    tmp = Path(tempfile.mkdtemp(prefix="bench-measurement-"))
    mongo = None if args.mongo_url else MongoServer(tmp / "mongo").start()
    env = {
        **os.environ,
        "MANPASIK_ENV": "test",
        "MONGODB_URL": args.mongo_url or mongo.url,  # type: ignore[union-attr]
        "REDIS_URL": args.redis_url,
        "DB_SUFFIX": f"_bench{run}",
        "REDIS_PREFIX": f"bench:{run}:",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "LOG_LEVEL": "WARNING",
        "LOG_JSON": "false",
        "DATA_DIR": str(tmp / "data"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'sql'}",
    }
    settings = Settings(
        **{
            k: v
            for k, v in env.items()
            if k in {"MANPASIK_ENV", "MONGODB_URL", "REDIS_URL", "DB_SUFFIX", "REDIS_PREFIX", "JWT_SECRET"}
        }
    )
    tokens = [
        issue_access_token(settings, uuid.uuid4().hex, ["USER"], uuid.uuid4().hex)[0]
        for _ in range(args.users)
    ]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        port = free_port()
        sub = _spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "subgraphs.measurement.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--loop",
                "uvloop",
                "--http",
                "httptools",
            ],
            env,
        )
        procs.append(sub)
        sub_url = f"http://127.0.0.1:{port}"
        await _wait_ready(sub_url + "/ready", sub)
        store = "external" if args.mongo_url else "nx-27017 0.8 (fresh)"
        print(
            f"mongo: {store}   redis: {args.redis_url}   concurrency {args.concurrency}, "
            f"{args.duration:.0f} s per run, {os.cpu_count()} cores",
            flush=True,
        )

        if args.via in ("subgraph", "both"):
            await _load(sub_url + "/graphql", tokens, args.warmup, args.concurrency)
            r = await _load_measured(
                sub.pid, sub_url + "/graphql", tokens, args.duration, args.concurrency, rate=args.rate
            )
            _report("subgraph (direct)" + (f" at {args.rate:g}/s" if args.rate else ""), r)
            if args.batch > 1:
                r = await _load_measured(
                    sub.pid, sub_url + "/graphql", tokens, args.duration, args.concurrency, args.batch
                )
                _report(f"subgraph, batches of {args.batch}", r)
        if args.via in ("router", "both"):
            rport = free_port()
            cmd = [
                sys.executable,
                "-m",
                "router",
                "serve",
                "--subgraph",
                f"measurement={sub_url}/graphql",
                "--port",
                str(rport),
            ]
            if not args.no_auth:
                aport = free_port()
                auth = _spawn(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "subgraphs.auth.app:create_app",
                        "--factory",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(aport),
                        "--log-level",
                        "warning",
                    ],
                    env,
                )
                procs.append(auth)
                await _wait_ready(f"http://127.0.0.1:{aport}/ready", auth)
                cmd += ["--subgraph", f"auth=http://127.0.0.1:{aport}/graphql"]
            router = _spawn(cmd, env)
            procs.append(router)
            await _wait_ready(f"http://127.0.0.1:{rport}/health", router)
            router_url = f"http://127.0.0.1:{rport}/graphql"
            await _load(router_url, tokens, args.warmup, args.concurrency)
            label = "router -> measurement" if args.no_auth else "router (auth + measurement)"
            label += f" at {args.rate:g}/s" if args.rate else ""
            _report(label, await _load(router_url, tokens, args.duration, args.concurrency, rate=args.rate))
    finally:
        for p in reversed(procs):
            _stop(p)
        if mongo is not None:
            mongo.stop()
        else:  # an external MongoDB keeps nothing of ours
            from pymongo import AsyncMongoClient

            client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(args.mongo_url)
            await client.drop_database(settings.database_name(MeasurementSettings().database))
            await client.close()
        await drop_run_keys(args.redis_url, run)


async def drop_run_keys(redis_url: str, run: str) -> None:
    """Removes the Redis keys of one benchmark run (its prefix `bench:<run>:`)."""
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    async for key in redis.scan_iter(match=f"bench:{run}:*", count=1000):
        await redis.delete(key)
    await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())
