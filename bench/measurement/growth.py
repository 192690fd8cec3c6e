"""How Home and MeasurementHistory grow with everyone's data: one user, ever more readings of others.

    .venv/bin/python bench/measurement/growth.py [--steps 1000,10000,40000,100000] [--users 1000]
                                                 [--samples 40] [--mongo-url mongodb://...]

Starts a fresh nx-27017 (or uses --mongo-url) and seeds it directly (bulk inserts, not through GraphQL): one
user with --own readings (default 100: glucose, heart rate, blood pressure, weight over the last 60 days),
the rest spread over the other --users - 1 users, until the collection holds each step's total. The first
step is seeded before the subgraph starts (so its startup data migrations see it), the later ones while it
runs. At each step it sends, one at a time, what the router sends the measurement subgraph for the
contract's operations:
- Home: `latestMeasurements` and `measurementSummary(type: BLOOD_GLUCOSE, since: 30 days ago)` of the user;
- MeasurementHistory: `measurements(type: BLOOD_GLUCOSE, since, first: 20)` and its second page (`after`),
and prints p50/p95 per step, the CPU time per request of the wire server and of the subgraph (steadier than
wall time on a shared machine), and the p95 ratio of the last step to the first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from bson import ObjectId
from pymongo import AsyncMongoClient

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.measurement.record import _cpu_s, _spawn, _stop, _wait_ready  # noqa: E402
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


async def _measure(
    session: aiohttp.ClientSession,
    url: str,
    token: str,
    user_id: str,
    since: str,
    samples: int,
    pids: list[int],
) -> dict[str, tuple[float, float, list[float]]]:
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    rep = [{"__typename": "User", "id": user_id}]

    async def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        async with session.post(url, json={"query": query, "variables": variables}, headers=headers) as r:
            body: dict[str, Any] = await r.json()
        if body.get("errors"):
            raise RuntimeError(body["errors"])
        return body

    async def home() -> None:
        await post(HOME, {"r": rep, "since": since})

    async def page1() -> None:
        await post(HISTORY, {"r": rep, "since": since, "after": None})

    first = await post(HISTORY, {"r": rep, "since": since, "after": None})
    cursor = first["data"]["_entities"][0]["measurements"]["pageInfo"]["endCursor"]

    async def page2() -> None:
        await post(HISTORY, {"r": rep, "since": since, "after": cursor})

    out = {}
    for name, call in (("home", home), ("history", page1), ("history p2", page2)):
        for _ in range(3):
            await call()
        cpu0 = [_cpu_s(p) or 0.0 for p in pids]
        times = []
        for _ in range(samples):
            t0 = time.perf_counter()
            await call()
            times.append((time.perf_counter() - t0) * 1000)
        cpu = [((_cpu_s(p) or 0.0) - c) * 1000 / samples for p, c in zip(pids, cpu0, strict=True)]
        times.sort()
        out[name] = (times[len(times) // 2], times[min(len(times) - 1, int(0.95 * len(times)))], cpu)
    return out


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", default="1000,10000,40000,100000", help="total measurements at each step")
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--own", type=int, default=100, help="readings of the measured user")
    ap.add_argument("--samples", type=int, default=40, help="requests per operation and step")
    ap.add_argument("--mongo-url", help="a MongoDB to use instead of a fresh nx-27017")
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = ap.parse_args()
    steps = [int(s) for s in args.steps.split(",")]

    run = secrets.token_hex(4)
    tmp = Path(tempfile.mkdtemp(prefix="bench-growth-"))
    mongo = None if args.mongo_url else MongoServer(tmp / "mongo").start()
    mongo_url = args.mongo_url or mongo.url  # type: ignore[union-attr]
    env = {
        **os.environ,
        "MANPASIK_ENV": "test",
        "MONGODB_URL": mongo_url,
        "REDIS_URL": args.redis_url,
        "DB_SUFFIX": f"_bench{run}",
        "REDIS_PREFIX": f"bench:{run}:",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "LOG_LEVEL": "WARNING",
        "LOG_JSON": "false",
    }
    settings = Settings(
        **{
            k: env[k]
            for k in ("MANPASIK_ENV", "MONGODB_URL", "REDIS_URL", "DB_SUFFIX", "REDIS_PREFIX", "JWT_SECRET")
        }
    )
    database = settings.database_name(MeasurementSettings().database)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    coll = client[database]["measurements"]
    rng = random.Random(17)
    now = datetime.now(UTC).replace(microsecond=0)
    me = uuid.uuid4().hex
    others = [uuid.uuid4().hex for _ in range(args.users - 1)]
    token = issue_access_token(settings, me, ["USER"], uuid.uuid4().hex)[0]
    since = (now - timedelta(days=30)).isoformat()
    seeded = 0

    async def seed_to(total: int) -> None:
        nonlocal seeded
        docs = [_doc(rng, me, i, now) for i in range(seeded, min(total, args.own))]
        docs += [_doc(rng, others[i % len(others)], i, now) for i in range(max(seeded, args.own), total)]
        await _seed(coll, docs)
        seeded = total

    sub = None
    rows = []
    try:
        t0 = time.monotonic()
        await seed_to(steps[0])
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
            ],
            env,
        )
        await _wait_ready(f"http://127.0.0.1:{port}/ready", sub, within_s=300)
        store = "external MongoDB" if args.mongo_url else "nx-27017 (fresh)"
        print(
            f"{store}; {args.users} users; measured user has {args.own} readings; "
            f"{args.samples} requests per operation, one at a time; {os.cpu_count()} cores",
            flush=True,
        )
        pids = [p for p in (mongo.proc.pid if mongo and mongo.proc else None, sub.pid) if p is not None]
        async with aiohttp.ClientSession() as session:
            for total in steps:
                t0 = time.monotonic()
                await seed_to(total)
                seed_s = time.monotonic() - t0
                r = await _measure(
                    session, f"http://127.0.0.1:{port}/graphql", token, me, since, args.samples, pids
                )
                rows.append((total, r))
                cells = "  ".join(
                    f"{name} {p50:7.1f} {p95:7.1f} ms cpu {'+'.join(f'{c:.1f}' for c in cpu)}"
                    for name, (p50, p95, cpu) in r.items()
                )
                print(f"{total:>7} docs (seeded in {seed_s:4.1f}s)  {cells}", flush=True)
        print(
            "\n| measurements | Home p50 / p95 (ms) | History p50 / p95 (ms) | History page 2 p50 / p95 (ms)"
            " | CPU ms/req Home, History (wire server + subgraph) |"
        )
        print("|---|---|---|---|---|")
        for total, r in rows:
            h, p, p2 = r["home"], r["history"], r["history p2"]
            cpu = ", ".join("+".join(f"{c:.1f}" for c in r[k][2]) for k in ("home", "history"))
            print(
                f"| {total:,} | {h[0]:.1f} / {h[1]:.1f} | {p[0]:.1f} / {p[1]:.1f} "
                f"| {p2[0]:.1f} / {p2[1]:.1f} | {cpu} |"
            )
        first, last = rows[0][1], rows[-1][1]
        print(
            f"\np95 at {rows[-1][0]:,} / at {rows[0][0]:,}: "
            + ", ".join(f"{k} {last[k][1] / first[k][1]:.2f}x" for k in last)
        )
    finally:
        if sub is not None:
            _stop(sub)
        if mongo is not None:
            mongo.stop()
        else:
            await client.drop_database(database)
        await client.close()
        from redis.asyncio import Redis

        redis = Redis.from_url(args.redis_url)
        async for key in redis.scan_iter(match=f"bench:{run}:*", count=1000):
            await redis.delete(key)
        await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())
