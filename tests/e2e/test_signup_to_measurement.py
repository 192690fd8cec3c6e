"""Seed scenario 1 and the first cross-subgraph query, through the router, with the app's own operations."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from libs.testing.graphql import error_codes, gql
from tests.e2e.conftest import Stack, contract_operation

PASSWORD = "correct horse battery staple"


async def _sign_up(stack: Stack, locale: str = "ko-KR") -> dict:
    email = f"e2e-{secrets.token_hex(4)}@example.com"
    result = await gql(
        stack.url,
        contract_operation("SignUp"),
        {"input": {"email": email, "password": PASSWORD, "displayName": "김민지", "locale": locale}},
    )
    assert "errors" not in result, result
    return result["data"]["signUp"]


async def test_sign_up_log_in_record_and_query_across_subgraphs(stack: Stack) -> None:
    signed_up = await _sign_up(stack)
    assert signed_up["user"]["roles"] == ["USER"]
    assert signed_up["tokens"]["tokenType"] == "Bearer"

    login = await gql(
        stack.url,
        contract_operation("LogIn"),
        {"input": {"email": signed_up["user"]["email"], "password": PASSWORD}},
    )
    assert login["data"]["logIn"]["__typename"] == "AuthSuccess", login
    token = login["data"]["logIn"]["tokens"]["accessToken"]

    taken_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    recorded = await gql(
        stack.url,
        contract_operation("RecordMeasurement"),
        {
            "input": {
                "type": "BLOOD_GLUCOSE",
                "value": 182,
                "unit": "mg/dL",
                "takenAt": taken_at,
                "source": "MANUAL",
                "context": "FASTING",
                "clientId": secrets.token_hex(8),
            }
        },
        token=token,
    )
    assert "errors" not in recorded, recorded
    measurement = recorded["data"]["recordMeasurement"]
    assert measurement["type"] == "BLOOD_GLUCOSE" and measurement["value"] == 182

    # One query, two subgraphs: `me` from auth, `latestMeasurements` from measurement through `_entities`.
    spanning = await gql(stack.url, "{ me { id email latestMeasurements { id value unit } } }", token=token)
    assert "errors" not in spanning, spanning
    me = spanning["data"]["me"]
    assert me["email"] == signed_up["user"]["email"]
    assert [m["id"] for m in me["latestMeasurements"]] == [measurement["id"]]


async def test_without_a_token_me_is_unauthenticated(stack: Stack) -> None:
    result = await gql(stack.url, "{ me { id email } }")
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert result.get("data") in (None, {"me": None})


async def test_one_user_never_sees_another_users_measurements(stack: Stack) -> None:
    alice, bob = await _sign_up(stack), await _sign_up(stack)
    a_token, b_token = alice["tokens"]["accessToken"], bob["tokens"]["accessToken"]
    recorded = await gql(
        stack.url,
        contract_operation("RecordMeasurement"),
        {
            "input": {
                "type": "HEART_RATE",
                "value": 64,
                "unit": "/min",
                "takenAt": datetime.now(UTC).isoformat(),
                "source": "WEARABLE",
                "clientId": secrets.token_hex(8),
            }
        },
        token=a_token,
    )
    assert "errors" not in recorded, recorded

    mine = await gql(stack.url, "{ me { latestMeasurements { id } } }", token=b_token)
    assert mine["data"]["me"]["latestMeasurements"] == []

    # Bob asks the measurement subgraph directly for Alice's entity.
    entities = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on User { latestMeasurements { id value } } } }"""
    stolen = await gql(
        stack.subgraphs["measurement"],
        entities,
        {"r": [{"__typename": "User", "id": alice["user"]["id"]}]},
        token=b_token,
    )
    assert error_codes(stolen) == ["FORBIDDEN"]
    assert "64" not in str(stolen.get("data"))
    # And through the router, Bob cannot reach Alice's data by any selection.
    as_bob = await gql(stack.url, "{ me { id latestMeasurements { value } } }", token=b_token)
    assert as_bob["data"]["me"]["id"] == bob["user"]["id"]


async def test_after_log_out_the_router_refuses_the_token(stack: Stack) -> None:
    signed_up = await _sign_up(stack)
    token = signed_up["tokens"]["accessToken"]
    assert (await gql(stack.url, "{ me { id } }", token=token))["data"]["me"]["id"] == signed_up["user"]["id"]
    assert (await gql(stack.url, contract_operation("LogOut"), token=token))["data"] == {"logOut": True}
    refused = await gql(stack.url, "{ me { id } }", token=token)
    assert error_codes(refused) == ["UNAUTHENTICATED"]
    assert refused["errors"][0]["message"] == "access token revoked"
    assert "data" not in refused  # stopped at the edge: no subgraph was asked


async def test_failed_log_ins_from_one_address_are_throttled_through_the_router(stack: Stack) -> None:
    # The router appends the caller's address to X-Forwarded-For; the auth subgraph limits failures per
    # address across accounts (20 per window), each email staying under its own per-account limit of 5.
    codes: list[str] = []
    for i in range(24):
        result = await gql(
            stack.url,
            contract_operation("LogIn"),
            {
                "input": {
                    "email": f"nobody-{i}-{secrets.token_hex(3)}@example.com",
                    "password": "wrong password 1",
                }
            },
            headers={"x-forwarded-for": f"198.51.100.{i}"},  # a client cannot pick its address this way
        )
        codes.extend(error_codes(result))
    assert codes[:20] == ["UNAUTHENTICATED"] * 20
    assert "RATE_LIMITED" in codes[20:]
