"""The Home query's measurement part costs a fixed number of store commands, whatever the data size."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from pymongo import monitoring

from libs.config import Settings
from tests.subgraphs.measurement.conftest import database


class _CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.database: str | None = None
        self.commands: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        # The outbox relay (its lease, its query) polls on its own schedule; it is not part of any request.
        relay = (
            "pending_event_id" in str(event.command.get("filter"))
            or event.command.get(event.command_name) == "leases"
        )
        if event.database_name == self.database and not relay:
            self.commands[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


# Registered at import, before this module's app (and its Mongo client) is created by the `url` fixture.
COUNTER = _CommandCounter()
monitoring.register(COUNTER)

HOME = """query($r: [_Any!]!, $since: DateTime) { _entities(representations: $r) { ... on User {
  latestMeasurements { id type value unit takenAt components { code value unit } }
  measurementSummary(type: BLOOD_GLUCOSE, since: $since) { count average min max }
  measurements(type: BLOOD_GLUCOSE, first: 20) { edges { node { id value } } pageInfo { hasNextPage } }
} } }"""


async def _home_commands(u, settings: Settings) -> tuple[Counter[str], dict]:
    COUNTER.database = database(settings)
    COUNTER.commands.clear()
    since = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    r = await u.gql(HOME, {"r": [{"__typename": "User", "id": u.id}], "since": since})
    assert "errors" not in r, r
    return Counter(COUNTER.commands), r["data"]["_entities"][0]


async def _fill(u, per_type: int) -> None:
    q = "mutation($i: [RecordMeasurementInput!]!) { recordMeasurements(inputs: $i) { id } }"
    now = datetime.now(UTC)
    inputs = []
    for i in range(per_type):
        at = (now - timedelta(hours=i + 1)).isoformat()
        inputs += [
            {"type": "BLOOD_GLUCOSE", "value": 90 + i, "unit": "mg/dL", "takenAt": at},
            {"type": "HEART_RATE", "value": 60 + i, "unit": "/min", "takenAt": at},
            {"type": "BODY_WEIGHT", "value": 70, "unit": "kg", "takenAt": at},
            {
                "type": "BLOOD_PRESSURE",
                "unit": "mm[Hg]",
                "takenAt": at,
                "components": [{"code": "SYSTOLIC", "value": 120}, {"code": "DIASTOLIC", "value": 80}],
            },
        ]
    r = await u.gql(q, {"i": inputs})
    assert "errors" not in r, r


async def test_home_query_is_three_commands_for_any_history(new_user, msettings) -> None:
    small, large = new_user(), new_user()
    await _fill(small, 1)
    await _fill(large, 40)
    small_cmds, small_data = await _home_commands(small, msettings)
    large_cmds, large_data = await _home_commands(large, msettings)
    assert len(small_data["latestMeasurements"]) == len(large_data["latestMeasurements"]) == 4
    assert large_data["measurementSummary"]["count"] == 40
    # The latest-per-type documents, the summary's range and the history page: three index-bounded finds.
    assert small_cmds == large_cmds == Counter({"find": 3})


async def test_measurement_entities_are_one_query(new_user, msettings) -> None:
    u = new_user()
    await _fill(u, 5)
    ids = [e["node"]["id"] for e in (await _home_commands(u, msettings))[1]["measurements"]["edges"]]
    COUNTER.commands.clear()
    r = await u.gql(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Measurement { id value } } }",
        {"r": [{"__typename": "Measurement", "id": i} for i in ids]},
    )
    assert [e["id"] for e in r["data"]["_entities"]] == ids
    assert COUNTER.commands == Counter({"find": 1})


async def test_admin_list_counts_are_one_query(new_user, msettings) -> None:
    users = [new_user() for _ in range(6)]
    for u in users[:3]:
        await u.record(type="HEART_RATE", value=60, unit="/min")
    admin = new_user(("ADMIN",))
    COUNTER.database = database(msettings)
    COUNTER.commands.clear()
    r = await admin.gql(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { measurementCount } } }",
        {"r": [{"__typename": "User", "id": u.id} for u in users]},
    )
    assert [e["measurementCount"] for e in r["data"]["_entities"]] == [1, 1, 1, 0, 0, 0]
    # One aggregation, each user's count an index-bounded branch of it (test_scale.py checks the plan).
    assert COUNTER.commands == Counter({"aggregate": 1})
