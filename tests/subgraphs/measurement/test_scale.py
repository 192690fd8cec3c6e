"""A person's measurement reads cost in proportion to their own data (issue 17): every command Home, history
pages and recording send is answered by an index search, never a scan of the collection; the latest-per-type
documents stay right under concurrent writes; keyset pages stay exact across ties and other people's data."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient, monitoring

from subgraphs.measurement.data_migrations import build_latest
from subgraphs.measurement.repository import MeasurementRepository
from tests.subgraphs.measurement.conftest import database


class _Commands(monitoring.CommandListener):
    """The reads and writes of the measurement collections, as sent (filter included)."""

    def __init__(self) -> None:
        self.database: str | None = None
        self.seen: list[tuple[str, str, dict[str, Any]]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        cmd = event.command
        collection = cmd.get(event.command_name)
        if event.database_name != self.database or collection not in ("measurements", "measurement_latest"):
            return
        if event.command_name == "find":
            self.seen.append(("find", collection, dict(cmd.get("filter") or {})))
        elif event.command_name == "count":
            self.seen.append(("count", collection, dict(cmd.get("query") or {})))
        elif event.command_name == "update":
            self.seen += [("update", collection, dict(u["q"])) for u in cmd.get("updates") or []]
        elif event.command_name == "aggregate":
            self.seen += [("aggregate", coll, match) for coll, match in _matches(collection, cmd["pipeline"])]

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _matches(collection: str, pipeline: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The `$match` of each branch of an aggregation (its `$unionWith`s included), which must open it: an
    aggregation here may only `$match`, `$group` and `$unionWith`, so its filters are all it reads."""
    assert pipeline and "$match" in pipeline[0], pipeline
    out = [(collection, dict(pipeline[0]["$match"]))]
    for stage in pipeline[1:]:
        assert stage.keys() <= {"$group", "$unionWith"}, stage
        if "$unionWith" in stage:
            out += _matches(stage["$unionWith"]["coll"], stage["$unionWith"]["pipeline"])
    return out


COMMANDS = _Commands()
monitoring.register(COMMANDS)  # at import: before this module's app creates its Mongo client

HOME = """query($r: [_Any!]!, $since: DateTime) { _entities(representations: $r) { ... on User {
  latestMeasurements { id type value takenAt clientId }
  measurementSummary(type: BLOOD_GLUCOSE, since: $since) { count average min max }
  measurementCount
} } }"""
PAGE = """query($r: [_Any!]!, $since: DateTime, $first: Int!, $after: String) {
  _entities(representations: $r) { ... on User {
    measurements(type: BLOOD_GLUCOSE, since: $since, first: $first, after: $after) {
      edges { node { id clientId takenAt value } cursor } pageInfo { hasNextPage endCursor } } } } }"""
MANY = "mutation($i: [RecordMeasurementInput!]!) { recordMeasurements(inputs: $i) { id clientId } }"


def _glucose(at: datetime, value: float, client_id: str) -> dict[str, Any]:
    return {
        "type": "BLOOD_GLUCOSE",
        "value": value,
        "unit": "mg/dL",
        "takenAt": at.isoformat(),
        "clientId": client_id,
    }


def _plain_ids(value: Any) -> Any:
    """nx-27017's `explain` (unlike its `find`) cannot bind ObjectIds; as hex strings the plan is the same."""
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_ids(v) for v in value]
    return value


async def _pages(u: Any, first: int, since: str | None = None) -> list[dict[str, Any]]:
    nodes, after = [], None
    while True:
        r = await u.gql(
            PAGE, {"r": [{"__typename": "User", "id": u.id}], "since": since, "first": first, "after": after}
        )
        assert "errors" not in r, r
        conn = r["data"]["_entities"][0]["measurements"]
        nodes += [e["node"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return nodes
        after = conn["pageInfo"]["endCursor"]


async def test_every_command_of_a_users_reads_and_writes_is_an_index_search(new_user, msettings) -> None:
    u = new_user()
    now = datetime.now(UTC).replace(microsecond=0)
    COMMANDS.database = database(msettings)
    COMMANDS.seen.clear()
    r = await u.gql(MANY, {"i": [_glucose(now - timedelta(hours=i), 90 + i, f"s-{i}") for i in range(5)]})
    assert "errors" not in r, r
    r = await u.record(type="HEART_RATE", value=61, unit="/min", clientId="hr-1")
    assert "errors" not in r, r
    since = (now - timedelta(days=30)).isoformat()
    r = await u.gql(HOME, {"r": [{"__typename": "User", "id": u.id}], "since": since})
    assert "errors" not in r, r
    assert len(await _pages(u, 2, since)) == 5  # keyset pages: both cursor queries

    shapes = {(kind, coll, tuple(sorted(f))) for kind, coll, f in COMMANDS.seen}
    assert ("find", "measurement_latest", ("user_id",)) in shapes
    assert ("update", "measurement_latest", ("_id", "sort_key")) in shapes
    assert ("aggregate", "measurements", ("user_id",)) in shapes  # the count
    assert ("find", "measurements", ("client_id", "taken_at", "type", "user_id")) in shapes  # a cursor's ties

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(msettings.mongodb_url, tz_aware=True)
    try:
        db = client[database(msettings)]
        for kind, coll, query in COMMANDS.seen:
            plan = (await db.command("explain", {"find": coll, "filter": _plain_ids(query)}))["queryPlanner"][
                "winningPlan"
            ]
            first_step = plan[0]["detail"]
            # SQLite's plan as nx-27017 reports it: SEARCH ... USING INDEX is a bounded index range, SCAN the
            # whole collection.
            assert first_step.startswith(f"SEARCH {coll} USING"), (kind, coll, query, plan)
    finally:
        await client.close()


async def test_latest_per_type_is_the_newest_after_concurrent_records(new_user) -> None:
    u = new_user()
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    rng = random.Random(7)
    # Minutes collide on purpose: ties are decided by clientId, as in the history.
    readings = [
        _glucose(base + timedelta(minutes=rng.randint(0, 5)), 80 + i, f"c-{i:03d}") for i in range(24)
    ]
    results = await asyncio.gather(*(u.record(**r) for r in readings))
    assert all("errors" not in r for r in results), results
    batch = [_glucose(base + timedelta(minutes=rng.randint(0, 5)), 150 + i, f"b-{i:03d}") for i in range(6)]
    more = await asyncio.gather(u.gql(MANY, {"i": batch[:3]}), u.gql(MANY, {"i": batch[3:]}))
    assert all("errors" not in r for r in more), more
    r = await u.entities("latestMeasurements { type clientId takenAt }")
    latest = r["data"]["_entities"][0]["latestMeasurements"]
    newest = max(readings + batch, key=lambda x: (datetime.fromisoformat(x["takenAt"]), x["clientId"]))
    assert [(m["type"], m["clientId"]) for m in latest] == [("BLOOD_GLUCOSE", newest["clientId"])]
    history = await _pages(u, 1)
    assert history[0]["clientId"] == newest["clientId"]


async def test_an_older_reading_recorded_later_leaves_the_latest(new_user) -> None:
    u = new_user()
    now = datetime.now(UTC).replace(microsecond=0)
    assert "errors" not in await u.record(**_glucose(now - timedelta(hours=1), 100, "new"))
    assert "errors" not in await u.record(
        **_glucose(now - timedelta(days=3), 120, "old")
    )  # an offline upload
    assert "errors" not in await u.record(type="HEART_RATE", value=70, unit="/min", clientId="hr")
    r = await u.entities("latestMeasurements { type clientId value }")
    assert r["data"]["_entities"][0]["latestMeasurements"] == [
        {"type": "HEART_RATE", "clientId": "hr", "value": 70.0},
        {"type": "BLOOD_GLUCOSE", "clientId": "new", "value": 100.0},
    ]


async def test_pages_are_exact_across_ties_and_never_show_someone_elses_reading(new_user) -> None:
    u, other = new_user(), new_user()
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    mine = [_glucose(at, 100 + i, f"tie-{i}") for i in range(5)]
    mine += [_glucose(at - timedelta(minutes=i + 1), 90 + i, f"old-{i}") for i in range(3)]
    mine += [_glucose(at + timedelta(minutes=1), 130, "newer")]
    assert "errors" not in await u.gql(MANY, {"i": mine})
    # Someone else's readings of the very same millisecond, with clientIds sorting among ours.
    theirs = [_glucose(at, 200 + i, f"tie-{i}x") for i in range(3)]
    assert "errors" not in await other.gql(MANY, {"i": theirs})
    expected = ["newer", "tie-4", "tie-3", "tie-2", "tie-1", "tie-0", "old-0", "old-1", "old-2"]
    for first in (1, 2, 3, 20):
        assert [n["clientId"] for n in await _pages(u, first)] == expected, first
    since = (at - timedelta(seconds=90)).isoformat()  # bounds still hold after a cursor
    assert [n["clientId"] for n in await _pages(u, 2, since)] == expected[:-2]


async def test_counts_and_summaries_are_the_users_own(new_user) -> None:
    u, other = new_user(), new_user()
    now = datetime.now(UTC).replace(microsecond=0)
    assert "errors" not in await u.gql(
        MANY, {"i": [_glucose(now - timedelta(days=d), 100 + d, f"g{d}") for d in (1, 2, 40)]}
    )
    assert "errors" not in await other.gql(MANY, {"i": [_glucose(now - timedelta(days=1), 300, "g")]})
    since = (now - timedelta(days=30)).isoformat()
    r = await u.gql(HOME, {"r": [{"__typename": "User", "id": u.id}], "since": since})
    me = r["data"]["_entities"][0]
    assert me["measurementCount"] == 3
    assert me["measurementSummary"] == {"count": 2, "average": 101.5, "min": 101.0, "max": 102.0}


async def test_the_data_migration_builds_latest_for_stored_readings_and_erasure_removes_them(
    new_user, msettings
) -> None:
    u = new_user()
    now = datetime.now(UTC).replace(microsecond=0)

    def doc(type_: str, hours: int, value: float, client_id: str) -> dict[str, Any]:
        at = now - timedelta(hours=hours)
        unit = {"BLOOD_GLUCOSE": "mg/dL", "HEART_RATE": "/min"}[type_]
        return {
            "_id": ObjectId(),
            "user_id": u.id,
            "client_id": client_id,
            "type": type_,
            "loinc": "2339-0",
            "source": "MANUAL",
            "taken_at": at,
            "recorded_at": at,
            "value": value,
            "unit": unit,
            "components": [],
        }

    # Stored before latest-per-type documents existed: written straight into the collection.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(msettings.mongodb_url, tz_aware=True)
    try:
        await client[database(msettings)]["measurements"].insert_many(
            [
                doc("BLOOD_GLUCOSE", 5, 100, "a"),
                doc("BLOOD_GLUCOSE", 2, 110, "b"),
                doc("HEART_RATE", 9, 60, "c"),
                doc("BLOOD_GLUCOSE", 2, 120, "a2"),
            ]  # same time as "b": "b" sorts after "a2", so "b" is newest
        )
    finally:
        await client.close()
    latest = "latestMeasurements { type clientId value }"
    assert (await u.entities(latest))["data"]["_entities"][0]["latestMeasurements"] == []

    repo = MeasurementRepository()
    assert await build_latest(repo) >= 2
    expected = [
        {"type": "BLOOD_GLUCOSE", "clientId": "b", "value": 110.0},
        {"type": "HEART_RATE", "clientId": "c", "value": 60.0},
    ]
    assert (await u.entities(latest))["data"]["_entities"][0]["latestMeasurements"] == expected
    await build_latest(repo)  # again (another replica starting): the same
    assert (await u.entities(latest))["data"]["_entities"][0]["latestMeasurements"] == expected

    assert await repo.protection.erase_user(u.id) == (4, 0)
    assert (await u.entities(latest))["data"]["_entities"][0]["latestMeasurements"] == []


async def test_a_hundred_users_counts_are_one_aggregation_and_exact(new_user) -> None:
    users = [new_user() for _ in range(100)]  # nested branches: more than one pipeline's worth
    for n, u in ((1, users[0]), (2, users[41]), (3, users[99])):
        now = datetime.now(UTC)
        r = await u.gql(MANY, {"i": [_glucose(now - timedelta(minutes=i), 90, f"n{i}") for i in range(n)]})
        assert "errors" not in r, r
    admin = new_user(("ADMIN",))
    r = await admin.gql(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { measurementCount } } }",
        {"r": [{"__typename": "User", "id": u.id} for u in users]},
    )
    counts = [e["measurementCount"] for e in r["data"]["_entities"]]
    assert counts == [1 if i == 0 else 2 if i == 41 else 3 if i == 99 else 0 for i in range(100)]
