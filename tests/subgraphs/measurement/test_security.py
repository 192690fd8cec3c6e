"""Each user sees only their own measurements: through User fields, `_entities` and the Measurement entity."""

from __future__ import annotations

from libs.testing.graphql import error_codes, gql

FIELDS = [
    "latestMeasurements { id value }",
    "measurements(type: BLOOD_GLUCOSE, first: 10) { edges { node { id value } } }",
    "measurementSummary(type: BLOOD_GLUCOSE) { count average }",
    "devices { id serial }",
]


async def test_user_a_never_sees_user_b_via_entities(new_user) -> None:
    a, b = new_user(), new_user()
    secret = (await b.record(type="BLOOD_GLUCOSE", value=250, unit="mg/dL"))["data"]["recordMeasurement"]
    for field in FIELDS:
        r = await a.entities(field, user_id=b.id)
        assert error_codes(r) == ["FORBIDDEN"], (field, r)
        assert r["data"]["_entities"] == [None], (field, r)
        assert secret["id"] not in str(r)
    # B itself sees it.
    mine = await b.entities("latestMeasurements { id value }")
    assert mine["data"]["_entities"][0]["latestMeasurements"] == [{"id": secret["id"], "value": 250.0}]


async def test_measurement_entity_is_owner_only(new_user) -> None:
    a, b = new_user(), new_user()
    mid = (await b.record(type="HEART_RATE", value=77, unit="/min"))["data"]["recordMeasurement"]["id"]
    q = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Measurement { id value } } }"
    reps = {"r": [{"__typename": "Measurement", "id": mid}]}
    stolen = await a.gql(q, reps)
    assert error_codes(stolen) == ["FORBIDDEN"] and "77.0" not in str(stolen["data"])
    assert (await b.gql(q, reps))["data"]["_entities"] == [{"id": mid, "value": 77.0}]


async def test_no_token_is_unauthenticated_everywhere(url, new_user) -> None:
    b = new_user()
    await b.record(type="HEART_RATE", value=77, unit="/min")
    for field in FIELDS:
        r = await gql(
            url,
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { " + field + " } } }",
            {"r": [{"__typename": "User", "id": b.id}]},
        )
        assert error_codes(r) == ["UNAUTHENTICATED"], (field, r)


async def test_forged_token_is_unauthenticated(url, new_user) -> None:
    b = new_user()
    r = await gql(
        url,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id "
        "latestMeasurements { id } } } }",
        {"r": [{"__typename": "User", "id": b.id}]},
        token=b.token[:-4] + "AAAA",
    )
    assert error_codes(r) == ["UNAUTHENTICATED"]


async def test_many_representations_only_own_resolves(new_user) -> None:
    a, b = new_user(), new_user()
    await a.record(type="HEART_RATE", value=60, unit="/min")
    await b.record(type="HEART_RATE", value=90, unit="/min")
    r = await a.gql(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id "
        "latestMeasurements { value } } } }",
        {"r": [{"__typename": "User", "id": a.id}, {"__typename": "User", "id": b.id}]},
    )
    assert r["data"]["_entities"][0] == {"id": a.id, "latestMeasurements": [{"value": 60.0}]}
    assert r["data"]["_entities"][1] is None
    assert error_codes(r) == ["FORBIDDEN"] and "90.0" not in str(r["data"])


async def test_admin_and_support_see_counts_never_measurements(new_user) -> None:
    a, b, plain = new_user(), new_user(), new_user()
    for value in (60, 61, 62):
        await a.record(type="HEART_RATE", value=value, unit="/min")
    await b.record(type="HEART_RATE", value=70, unit="/min")
    q = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id measurementCount } } }"
    reps = {"r": [{"__typename": "User", "id": u.id} for u in (a, b, plain)]}
    for role in ("ADMIN", "SUPPORT"):
        staff = new_user((role, "USER"))
        r = await staff.gql(q, reps)
        assert r["data"]["_entities"] == [
            {"id": a.id, "measurementCount": 3},
            {"id": b.id, "measurementCount": 1},
            {"id": plain.id, "measurementCount": 0},
        ], r
        for field in FIELDS:  # the readings themselves stay the owner's
            assert error_codes(await staff.entities(field, user_id=a.id)) == ["FORBIDDEN"], (role, field)
    assert error_codes(await plain.gql(q, {"r": [{"__typename": "User", "id": a.id}]})) == ["FORBIDDEN"]
    own = await a.gql(q, {"r": [{"__typename": "User", "id": a.id}]})
    assert own["data"]["_entities"] == [{"id": a.id, "measurementCount": 3}]
