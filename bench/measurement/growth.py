"""How Home and MeasurementHistory grow with everyone's data: one user, ever more readings of others.

    .venv/bin/python bench/measurement/growth.py [--steps 1000,10000,40000,100000] [--users 1000]
                                                 [--samples 40] [--mongo-url mongodb://...]

One store per step, side by side: each its own fresh nx-27017 (or database on --mongo-url) and measurement
subgraph. Each is seeded directly (bulk inserts, not through GraphQL) before its subgraph starts (so its
startup data migrations see the data): the same user with the same --own readings (default 100: glucose,
heart rate, blood pressure, weight over the last 60 days), and the step's remaining total spread over
--users - 1 others. Then, in rounds that visit every store in turn (so a busy moment of a shared machine
hits all sizes alike), it sends one at a time what the router sends the measurement subgraph for the
contract's operations:
- Home: `latestMeasurements` and `measurementSummary(type: BLOOD_GLUCOSE, since: 30 days ago)` of the user;
- MeasurementHistory: `measurements(type: BLOOD_GLUCOSE, since, first: 20)` and its second page (`after`),
and prints p50/p95 per step, the CPU time per request of that step's wire server and subgraph (steadier
than wall time on a shared machine), and the ratios of the last step to the first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from bson import ObjectId
from pymongo import AsyncMongoClient

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.measurement.record import _cpu_s, _spawn, _stop, _wait_ready, drop_run_keys  # noqa: E402
from libs.auth.tokens import issue_access_token  # noqa: E402
from libs.config import Settings  # noqa: E402
from libs.testing import MongoServer, free_port  # noqa: E402
from subgraphs.measurement.settings import MeasurementSettings  # noqa: E402

HOME = """query($r: [_Any!]!, $since: DateTime!) { _entities(representations: $r) { ... on User {
  latestMeasurements { id type value unit takenAt components { code value unit } }
  measurementSummary(type: BLOOD_GLUCOSE, since: $since) { count average min max } } } }"""
HISTORY = """query($r: [_Any!]!, $since: DateTime!, $after: String) {
  _entities(representations: $r) { ... on User {
  measurements(type: BLOOD_GLUCOSE, since: $since, first: 20, after: $after) {
    edges { node { id value unit takenAt context } } pageInfo { hasNextPage endCursor } } } } }"""

KINDS: list[tuple[str, str, str, Any]] = [
    ("BLOOD_GLUCOSE", "2339-0", "mg/dL", lambda r: {"value": float(r.randint(70, 180))}),
    ("HEART_RATE", "8867-4", "/min", lambda r: {"value": float(r.randint(50, 110))}),
    ("BODY_WEIGHT", "29463-7", "kg", lambda r: {"value": round(r.uniform(50, 100), 1)}),
    (
        "BLOOD_PRESSURE",
        "85354-9",
        "",
        lambda r: {
            "components": [
                {
                    "code": "SYSTOLIC",
                    "loinc": "8480-6",
                    "value": float(r.randint(100, 150)),
                    "unit": "mm[Hg]",
                },
                {"code": "DIASTOLIC", "loinc": "8462-4", "value": float(r.randint(60, 95)), "unit": "mm[Hg]"},
            ]
        },
    ),
]


def _doc(rng: random.Random, user_id: str, i: int, now: datetime) -> dict[str, Any]:
    # Glucose is half of everything (the reader's main cartridge), the rest vitals; within the last 60 days.
    kind = KINDS[0] if rng.random() < 0.5 else rng.choice(KINDS[1:])
    taken = (now - timedelta(seconds=rng.randint(0, 60 * 86400))).replace(microsecond=0)
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "user_id": user_id,
        "client_id": f"seed-{i}",
        "type": kind[0],
        "loinc": kind[1],
        "source": "MANUAL",
        "taken_at": taken,
        "recorded_at": taken,
        "components": [],
        **kind[3](rng),
    }
    if kind[2]:
        doc["unit"] = kind[2]
    if kind[0] == "BLOOD_GLUCOSE":
        doc["context"] = "FASTING"
    return doc


async def _seed(coll: Any, docs: list[dict[str, Any]]) -> None:
    for k in range(0, len(docs), 5000):
        await coll.insert_many(docs[k : k + 5000], ordered=False)


class _Store:
    """One step: its wire server (None on --mongo-url), its subgraph, and the calls of the operations."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.mongo: MongoServer | None = None
        self.sub: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.settings: Settings | None = None
        self.ops: dict[str, Callable[[], Awaitable[None]]] = {}
        self.times: dict[str, list[float]] = {}
        self.cpu: dict[str, float] = {}

    def pids(self) -> list[int]:
        procs = [self.mongo.proc if self.mongo else None, self.sub]
        return [p.pid for p in procs if p is not None]

    def cpu_s(self) -> float:
        return sum(_cpu_s(p) or 0.0 for p in self.pids())


def _operations(
    session: aiohttp.ClientSession, url: str, token: str, user_id: str, since: str
) -> dict[str, Callable[[], Awaitable[None]]]:
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    rep = [{"__typename": "User", "id": user_id}]
    cursor: dict[str, str | None] = {"after": None}

    async def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        async with session.post(url, json={"query": query, "variables": variables}, headers=headers) as r:
            body: dict[str, Any] = await r.json()
        if body.get("errors") or r.status != 200:
            raise RuntimeError(body.get("errors") or r.status)
        return body

    async def home() -> None:
        await post(HOME, {"r": rep, "since": since})

    async def page1() -> None:
        first = await post(HISTORY, {"r": rep, "since": since, "after": None})
        cursor["after"] = first["data"]["_entities"][0]["measurements"]["pageInfo"]["endCursor"]

    async def page2() -> None:
        await post(HISTORY, {"r": rep, "since": since, "after": cursor["after"]})

    return {"home": home, "history": page1, "history p2": page2}


def _pct(times: list[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", default="1000,10000,40000,100000", help="total measurements of each store")
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--own", type=int, default=100, help="readings of the measured user")
    ap.add_argument("--samples", type=int, default=40, help="rounds: requests per operation and store")
    ap.add_argument("--mongo-url", help="a MongoDB to use instead of fresh nx-27017 servers")
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = ap.parse_args()
    steps = [int(s) for s in args.steps.split(",")]

    run = secrets.token_hex(4)
    tmp = Path(tempfile.mkdtemp(prefix="bench-growth-"))
    secret = secrets.token_urlsafe(48)
    rng = random.Random(17)
    now = datetime.now(UTC).replace(microsecond=0)
    me = uuid.uuid4().hex
    others = [uuid.uuid4().hex for _ in range(args.users - 1)]
    mine = [_doc(rng, me, i, now) for i in range(args.own)]  # the same in every store
    since = (now - timedelta(days=30)).isoformat()
    stores = [_Store(total) for total in steps]
    dropped: list[tuple[str, str]] = []
    try:
        for store in stores:
            t0 = time.monotonic()
            if not args.mongo_url:
                store.mongo = MongoServer(tmp / f"mongo-{store.total}").start()
            url = args.mongo_url or store.mongo.url  # type: ignore[union-attr]
            env = {
                **os.environ,
                "MANPASIK_ENV": "test",
                "MONGODB_URL": url,
                "REDIS_URL": args.redis_url,
                "DB_SUFFIX": f"_bench{run}_{store.total}",
                "REDIS_PREFIX": f"bench:{run}:{store.total}:",
                "JWT_SECRET": secret,
                "LOG_LEVEL": "WARNING",
                "LOG_JSON": "false",
            }
            settings = Settings(
                **{
                    k: env[k]
                    for k in (
                        "MANPASIK_ENV",
                        "MONGODB_URL",
                        "REDIS_URL",
                        "DB_SUFFIX",
                        "REDIS_PREFIX",
                        "JWT_SECRET",
                    )
                }
            )
            database = settings.database_name(MeasurementSettings().database)
            dropped.append((url, database))
            client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
            docs = [dict(d) for d in mine]
            docs += [_doc(rng, others[i % len(others)], i, now) for i in range(len(mine), store.total)]
            await _seed(client[database]["measurements"], docs)
            await client.close()
            port = free_port()
            store.sub = _spawn(
                [sys.executable, "-m", "uvicorn", "subgraphs.measurement.app:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                env,
            )  # fmt: skip
            await _wait_ready(f"http://127.0.0.1:{port}/ready", store.sub, within_s=600)
            store.port, store.settings = port, settings
            print(
                f"store of {store.total:>7,} measurements ready in {time.monotonic() - t0:5.1f}s", flush=True
            )
        assert stores[0].settings is not None  # every store has the same JWT secret
        token = issue_access_token(stores[0].settings, me, ["USER"], uuid.uuid4().hex)[0]
        where = "one external MongoDB" if args.mongo_url else "its own nx-27017"
        print(
            f"each store on {where}; {args.users} users; the measured user has {args.own} readings; "
            f"{args.samples} rounds over every store, one request at a time; {os.cpu_count()} cores",
            flush=True,
        )
        async with aiohttp.ClientSession() as session:
            for store in stores:
                url = f"http://127.0.0.1:{store.port}/graphql"
                store.ops = _operations(session, url, token, me, since)
                store.times = {name: [] for name in store.ops}
                store.cpu = dict.fromkeys(store.ops, 0.0)
                for call in store.ops.values():  # warm up
                    for _ in range(3):
                        await call()
            for _ in range(args.samples):
                for store in stores:
                    for name, call in store.ops.items():
                        cpu0, t0 = store.cpu_s(), time.perf_counter()
                        await call()
                        store.times[name].append((time.perf_counter() - t0) * 1000)
                        store.cpu[name] += store.cpu_s() - cpu0
        print(
            "\n| measurements | Home p50 / p95 (ms) | History p50 / p95 (ms) | History page 2 p50 / p95 (ms)"
            " | CPU ms/req Home, History, page 2 (wire server + subgraph) |"
        )
        print("|---|---|---|---|---|")
        for store in stores:
            t = store.times
            cells = " | ".join(f"{_pct(t[k], 0.5):.1f} / {_pct(t[k], 0.95):.1f}" for k in t)
            cpu = ", ".join(f"{store.cpu[k] * 1000 / len(t[k]):.1f}" for k in t)
            print(f"| {store.total:,} | {cells} | {cpu} |")
        first, last = stores[0], stores[-1]
        print(
            f"\nat {last.total:,} / at {first.total:,}: "
            + ", ".join(
                f"{k} p95 {_pct(last.times[k], 0.95) / _pct(first.times[k], 0.95):.2f}x"
                f" cpu {last.cpu[k] / max(first.cpu[k], 1e-9):.2f}x"
                for k in first.times
            )
        )
    finally:
        for store in stores:
            if store.sub is not None:
                _stop(store.sub)
            if store.mongo is not None:
                store.mongo.stop()
        if args.mongo_url:
            external: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(args.mongo_url)
            for _, database in dropped:
                await external.drop_database(database)
            await external.close()
        await drop_run_keys(args.redis_url, run)


if __name__ == "__main__":
    asyncio.run(main())
