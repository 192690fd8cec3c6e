"""Redis commands and router CPU per request of a query that fans out to three subgraphs, with every token
check answered by each process's local revocation view, and with the views never fresh (each check asks
Redis with one EXISTS: how every check worked before the views).

    .venv/bin/python bench/auth/redis_per_request.py [--requests 300] [--concurrency 10]

Starts auth, coaching and notification (`manpasik subgraph`, SQLite in a temporary folder, workers off so
only requests talk to Redis) and `manpasik router serve --verify-tokens` in front, on the machine's Redis
(--redis-url) under a throwaway key prefix; counts with MONITOR every command that names a key of that prefix
(pub/sub pings name none). Router CPU is utime + stime from /proc over the measured requests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parents[2]
TICKS = os.sysconf("SC_CLK_TCK")
SUBGRAPHS = ("auth", "coaching", "notification")
QUERY = "{ me { id email coachingInsights(first: 5) { id } unreadNotificationCount } }"
SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { tokens { accessToken } } }"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "manpasik", *args], cwd=ROOT, env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def wait_ready(url: str, within_s: float = 90) -> None:
    deadline = time.monotonic() + within_s
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{url} not ready")


class Monitor:
    """Counts the commands naming keys under `prefix` (by command name) while running."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url, self.prefix, self.counts = url, prefix, Counter[str]()
        self._task: asyncio.Task[None] | None = None
        self._marker = f"{prefix}marker:{secrets.token_hex(4)}"
        self._seen_marker = asyncio.Event()

    async def start(self) -> None:
        started = asyncio.Event()

        async def watch() -> None:
            client = Redis.from_url(self.url, decode_responses=True)
            try:
                async with client.monitor() as m:
                    started.set()
                    async for entry in m.listen():
                        command = str(entry.get("command", ""))
                        if self._marker in command:
                            self._seen_marker.set()
                        elif self.prefix in command:
                            self.counts[command.split(" ", 1)[0].upper()] += 1
            finally:
                await client.aclose()

        self._task = asyncio.create_task(watch())
        await asyncio.wait_for(started.wait(), 5)

    async def stop(self) -> Counter[str]:
        client = Redis.from_url(self.url)
        await client.get(self._marker)
        await client.aclose()
        await asyncio.wait_for(self._seen_marker.wait(), 10)
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return self.counts


async def run_mode(name: str, stale: bool, args: argparse.Namespace) -> None:
    prefix = f"bench-rv-{secrets.token_hex(3)}:"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MANPASIK_ENV": "test", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}",
               "DATA_DIR": tmp, "REDIS_URL": args.redis_url, "REDIS_PREFIX": prefix,
               "JWT_SECRET": secrets.token_urlsafe(48), "ROUTER_SUBGRAPH_SECRET": secrets.token_urlsafe(32),
               "LOG_JSON": "false", "LOG_LEVEL": "WARNING", "AUTH_PASSWORD_TIME_COST": "1",
               "AUTH_PASSWORD_MEMORY_KIB": "8192"}
        if stale:
            env["REVOCATION_STALE_AFTER_S"] = "0.000001"  # never fresh: every check asks Redis
        for sub in SUBGRAPHS:
            env[f"{sub.upper()}_WORKERS"] = "false"
        ports = {sub: free_port() for sub in SUBGRAPHS}
        procs = [spawn(["subgraph", sub, "--port", str(p)], env) for sub, p in ports.items()]
        router_port = free_port()
        try:
            for p in ports.values():
                await wait_ready(f"http://127.0.0.1:{p}/ready")
            cmd = ["router", "serve", "--verify-tokens", "--port", str(router_port)]
            for sub, p in ports.items():
                cmd += ["--subgraph", f"{sub}=http://127.0.0.1:{p}/graphql"]
            router = spawn(cmd, env)
            procs.append(router)
            await wait_ready(f"http://127.0.0.1:{router_port}/ready")
            url = f"http://127.0.0.1:{router_port}/graphql"
            async with aiohttp.ClientSession() as http:
                variables = {"input": {"email": f"bench-{secrets.token_hex(4)}@example.com",
                                       "password": "correct horse battery staple", "displayName": "b"}}
                async with http.post(url, json={"query": SIGN_UP, "variables": variables}) as r:
                    token = (await r.json())["data"]["signUp"]["tokens"]["accessToken"]
                headers = {"authorization": f"Bearer {token}"}

                async def load(n: int) -> None:
                    left = n

                    async def worker() -> None:
                        nonlocal left
                        while left > 0:
                            left -= 1
                            async with http.post(url, json={"query": QUERY}, headers=headers) as r:
                                body = await r.json()
                            if r.status != 200 or "errors" in body:
                                raise RuntimeError(f"bad response: {body}")

                    await asyncio.gather(*(worker() for _ in range(args.concurrency)))

                await load(args.warmup)
                monitor = Monitor(args.redis_url, prefix)
                await monitor.start()
                cpu0 = cpu_seconds(router.pid)
                await load(args.requests)
                cpu1 = cpu_seconds(router.pid)
                counts = await monitor.stop()
            total = sum(counts.values())
            detail = ", ".join(f"{k} {v / args.requests:.2f}" for k, v in counts.most_common()) or "none"
            print(f"| {name} | {total / args.requests:.2f} | {detail} | "
                  f"{(cpu1 - cpu0) * 1000 / args.requests:.2f} |", flush=True)
        finally:
            for proc in procs:
                stop(proc)
            client = Redis.from_url(args.redis_url)
            async for key in client.scan_iter(match=prefix + "*", count=1000):
                await client.delete(key)
            await client.aclose()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=10)
    ap.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = ap.parse_args()
    print(f"{args.requests} requests of {QUERY!r}, concurrency {args.concurrency}, load {os.getloadavg()}")
    print("| token checks | Redis commands / request | by command | router CPU ms / request |")
    print("|---|---|---|---|")
    await run_mode("local views (fresh)", False, args)
    await run_mode("Redis each time (views never fresh)", True, args)


if __name__ == "__main__":
    asyncio.run(main())
