"""History pages, latest per type and summaries, all computed by the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

HISTORY = """measurements(type: BLOOD_GLUCOSE, since: $since, first: $first, after: $after) {
  edges { cursor node { id value unit takenAt context } } pageInfo { hasNextPage endCursor } }"""


async def _history(u, since: datetime | None, first: int, after: str | None) -> dict:
    q = (
        "query($r: [_Any!]!, $since: DateTime, $first: Int!, $after: String) "
        "{ _entities(representations: $r) "
        "{ ... on User { " + HISTORY + " } } }"
    )
    r = await u.gql(
        q,
        {
            "r": [{"__typename": "User", "id": u.id}],
            "since": since and since.isoformat(),
            "first": first,
            "after": after,
        },
    )
    assert "errors" not in r, r
    return r["data"]["_entities"][0]["measurements"]


async def test_cursor_pages_newest_first_with_since(new_user) -> None:
    u = new_user()
    now = datetime.now(UTC).replace(microsecond=0)
    # Two readings at the same instant test the clientId tie-breaker.
    times = [now - timedelta(hours=h) for h in range(7)] + [now - timedelta(hours=3)]
    q = "mutation($i: [RecordMeasurementInput!]!) { recordMeasurements(inputs: $i) { id } }"
    ids = await u.gql(
        q,
        {
            "i": [
                {
                    "type": "BLOOD_GLUCOSE",
                    "value": 80 + i,
                    "unit": "mg/dL",
                    "takenAt": t.isoformat(),
                    "clientId": f"g{i}",
                }
                for i, t in enumerate(times)
            ]
        },
    )
    assert "errors" not in ids, ids
    await u.record(type="HEART_RATE", value=70, unit="/min")  # another type never shows up

    seen, after = [], None
    while True:
        page = await _history(u, now - timedelta(hours=5, minutes=30), 2, after)
        seen += [(e["node"]["takenAt"], e["node"]["value"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    expected_values = [80, 81, 82, 83, 87, 84, 85]  # hours 0..5, with the duplicate hour 3 reading
    assert sorted(v for _, v in seen) == sorted(expected_values)
    assert len(seen) == len(set(seen)) == 7
    assert [t for t, _ in seen] == sorted((t for t, _ in seen), reverse=True)


async def test_bad_cursor_and_page_size(new_user) -> None:
    u = new_user()
    q = (
        "query($r: [_Any!]!, $first: Int!, $after: String) { _entities(representations: $r) "
        "{ ... on User { measurements(type: BLOOD_GLUCOSE, first: $first, after: $after) "
        "{ edges { cursor } } } } }"
    )
    for first, after, field in ((0, None, "first"), (101, None, "first"), (5, "garbage!", "after")):
        r = await u.gql(q, {"r": [{"__typename": "User", "id": u.id}], "first": first, "after": after})
        assert r["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_latest_per_type(new_user) -> None:
    u = new_user()
    now = datetime.now(UTC)
    for value, minutes in ((100, 30), (120, 5), (110, 60)):
        await u.record(
            type="BLOOD_GLUCOSE",
            value=value,
            unit="mg/dL",
            takenAt=(now - timedelta(minutes=minutes)).isoformat(),
        )
    await u.record(
        type="BLOOD_PRESSURE",
        unit="mm[Hg]",
        components=[{"code": "SYSTOLIC", "value": 118}, {"code": "DIASTOLIC", "value": 76}],
        takenAt=(now - timedelta(minutes=1)).isoformat(),
    )
    r = await u.entities("latestMeasurements { type value unit components { code value unit } }")
    assert r["data"]["_entities"][0]["latestMeasurements"] == [
        {
            "type": "BLOOD_PRESSURE",
            "value": None,
            "unit": None,
            "components": [
                {"code": "SYSTOLIC", "value": 118.0, "unit": "mm[Hg]"},
                {"code": "DIASTOLIC", "value": 76.0, "unit": "mm[Hg]"},
            ],
        },
        {"type": "BLOOD_GLUCOSE", "value": 120.0, "unit": "mg/dL", "components": []},
    ]


async def test_summary_in_range_and_for_components(new_user) -> None:
    u = new_user()
    now = datetime.now(UTC)
    for value, days in ((90, 1), (110, 2), (130, 3), (300, 10)):
        await u.record(
            type="BLOOD_GLUCOSE", value=value, unit="mg/dL", takenAt=(now - timedelta(days=days)).isoformat()
        )
    for sys_, dia, days in ((120, 80, 1), (140, 90, 2)):
        await u.record(
            type="BLOOD_PRESSURE",
            unit="mm[Hg]",
            takenAt=(now - timedelta(days=days)).isoformat(),
            components=[{"code": "SYSTOLIC", "value": sys_}, {"code": "DIASTOLIC", "value": dia}],
        )
    since = (now - timedelta(days=7)).isoformat()
    q = (
        "query($r: [_Any!]!, $since: DateTime) { _entities(representations: $r) { ... on User { "
        "g: measurementSummary(type: BLOOD_GLUCOSE, since: $since) { count average min max unit } "
        "all: measurementSummary(type: BLOOD_GLUCOSE) { count max } "
        's: measurementSummary(type: BLOOD_PRESSURE, since: $since, component: "SYSTOLIC") '
        "{ count average unit } "
        "none: measurementSummary(type: HBA1C) { count average min max } } } }"
    )
    r = await u.gql(q, {"r": [{"__typename": "User", "id": u.id}], "since": since})
    e = r["data"]["_entities"][0]
    assert e["g"] == {"count": 3, "average": pytest.approx(110.0), "min": 90.0, "max": 130.0, "unit": "mg/dL"}
    assert e["all"] == {"count": 4, "max": 300.0}
    assert e["s"] == {"count": 2, "average": pytest.approx(130.0), "unit": "mm[Hg]"}
    assert e["none"] == {"count": 0, "average": None, "min": None, "max": None}


async def test_panel_summary_needs_a_component(new_user) -> None:
    u = new_user()
    r = await u.entities("measurementSummary(type: BLOOD_PRESSURE) { count }")
    assert r["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "component"}


async def test_values_read_back_in_another_unit(new_user) -> None:
    u = new_user()
    await u.record(type="BLOOD_GLUCOSE", value=7.0, unit="mmol/L")
    await u.record(
        type="BLOOD_PRESSURE",
        unit="mm[Hg]",
        components=[{"code": "SYSTOLIC", "value": 150}, {"code": "DIASTOLIC", "value": 75}],
    )
    r = await u.entities(
        'latestMeasurements { type value valueIn(unit: "mmol/L") } '
        'bp: latestMeasurements { components { code valueIn(unit: "kPa") } }'
    )
    latest = {m["type"]: m for m in r["data"]["_entities"][0]["latestMeasurements"]}
    assert latest["BLOOD_GLUCOSE"]["value"] == 126.1092 and latest["BLOOD_GLUCOSE"]["valueIn"] == 7.0
    assert latest["BLOOD_PRESSURE"]["valueIn"] is None  # a panel: its components convert
    bp = next(m for m in r["data"]["_entities"][0]["bp"] if m["components"])
    assert bp["components"] == [
        {"code": "SYSTOLIC", "valueIn": 19.9983},
        {"code": "DIASTOLIC", "valueIn": 9.9992},
    ]
    bad = await u.entities('latestMeasurements { valueIn(unit: "kg") }')
    assert bad["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "unit"}


async def test_summary_until_and_unit(new_user) -> None:
    u = new_user()
    now = datetime.now(UTC)
    for mmol, days in ((5.0, 1), (6.0, 2), (9.0, 3)):
        await u.record(
            type="BLOOD_GLUCOSE", value=mmol, unit="mmol/L", takenAt=(now - timedelta(days=days)).isoformat()
        )
    q = (
        "query($r: [_Any!]!, $since: DateTime, $until: DateTime) {"
        " _entities(representations: $r) { ... on User {"
        ' measurementSummary(type: BLOOD_GLUCOSE, since: $since, until: $until, unit: "mmol/L")'
        " { count average min max unit } } } }"
    )
    r = await u.gql(
        q,
        {
            "r": [{"__typename": "User", "id": u.id}],
            "since": (now - timedelta(days=4)).isoformat(),
            "until": (now - timedelta(days=1, hours=12)).isoformat(),
        },
    )
    s = r["data"]["_entities"][0]["measurementSummary"]
    assert s == {"count": 2, "average": pytest.approx(7.5), "min": 6.0, "max": 9.0, "unit": "mmol/L"}
    inverted = await u.gql(
        q, {"r": [{"__typename": "User", "id": u.id}], "since": now.isoformat(), "until": now.isoformat()}
    )
    assert inverted["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "until"}
