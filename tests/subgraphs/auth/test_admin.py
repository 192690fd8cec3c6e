"""Admin console actions from the admin contract: SuspendUser, ReinstateUser, GrantRole."""

from __future__ import annotations

import asyncio
import json

from redis.asyncio import Redis

from libs.config import Settings
from libs.events.streams import AUTH_STREAM, stream_key
from libs.testing.graphql import error_codes, from_router, gql
from tests.subgraphs.auth.helpers import WHOAMI, admin_tokens, log_in, sign_up

SUSPEND = """mutation SuspendUser($userId: ID!, $reason: String!) {
  suspendUser(userId: $userId, reason: $reason) { id status } }"""
REINSTATE = """mutation ReinstateUser($userId: ID!, $reason: String!) {
  reinstateUser(userId: $userId, reason: $reason) { id status } }"""
GRANT = (
    "mutation GrantRole($userId: ID!, $role: Role!) { grantRole(userId: $userId, role: $role) { id roles } }"
)


async def test_suspended_users_tokens_stop_working_and_log_in_is_refused_until_reinstated(
    auth_url: str,
    other_url: str,
    settings: Settings,
) -> None:
    admin = await admin_tokens(auth_url, settings)
    user = await sign_up(auth_url)
    uid, token = user["user"]["id"], user["tokens"]["accessToken"]
    assert (await gql(other_url, WHOAMI, token=token))["data"]["whoami"] == uid

    result = await gql(
        auth_url, SUSPEND, {"userId": uid, "reason": "fraud report #12"}, token=admin["accessToken"]
    )
    assert result["data"]["suspendUser"] == {"id": uid, "status": "SUSPENDED"}, result
    assert error_codes(await gql(other_url, WHOAMI, token=token)) == ["UNAUTHENTICATED"]
    refresh = await gql(
        auth_url,
        "mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken } }",
        {"t": user["tokens"]["refreshToken"]},
    )
    assert error_codes(refresh) == ["UNAUTHENTICATED"]
    assert error_codes(await log_in(auth_url, user["user"]["email"])) == ["FORBIDDEN"]

    back = await gql(auth_url, REINSTATE, {"userId": uid, "reason": "cleared"}, token=admin["accessToken"])
    assert back["data"]["reinstateUser"]["status"] == "ACTIVE"
    assert (await log_in(auth_url, user["user"]["email"]))["data"]["logIn"]["__typename"] == "AuthSuccess"


async def test_only_admins_act_and_a_reason_is_required(auth_url: str, settings: Settings) -> None:
    user = await sign_up(auth_url)
    victim = await sign_up(auth_url)
    as_user = await gql(
        auth_url,
        SUSPEND,
        {"userId": victim["user"]["id"], "reason": "x"},
        token=user["tokens"]["accessToken"],
    )
    assert error_codes(as_user) == ["FORBIDDEN"]
    assert error_codes(await gql(auth_url, SUSPEND, {"userId": victim["user"]["id"], "reason": "x"})) == [
        "UNAUTHENTICATED"
    ]
    admin = await admin_tokens(auth_url, settings)
    no_reason = await gql(
        auth_url, SUSPEND, {"userId": victim["user"]["id"], "reason": " "}, token=admin["accessToken"]
    )
    assert error_codes(no_reason) == ["BAD_USER_INPUT"]
    missing = await gql(
        auth_url,
        SUSPEND,
        {"userId": "00000000-0000-0000-0000-000000000000", "reason": "x"},
        token=admin["accessToken"],
    )
    assert error_codes(missing) == ["NOT_FOUND"]


async def test_grant_role_shows_in_the_next_token(auth_url: str, settings: Settings) -> None:
    admin = await admin_tokens(auth_url, settings)
    doctor = await sign_up(auth_url)
    granted = await gql(
        auth_url, GRANT, {"userId": doctor["user"]["id"], "role": "DOCTOR"}, token=admin["accessToken"]
    )
    assert granted["data"]["grantRole"]["roles"] == ["USER", "DOCTOR"]
    again = await log_in(auth_url, doctor["user"]["email"])
    assert again["data"]["logIn"]["user"]["roles"] == ["USER", "DOCTOR"]
    assert error_codes(
        await gql(
            auth_url,
            GRANT,
            {"userId": doctor["user"]["id"], "role": "ADMIN"},
            token=doctor["tokens"]["accessToken"],
        )
    ) == ["FORBIDDEN"]


ADMIN_USERS = """
query AdminUsers($search: String, $first: Int!, $after: String) {
  adminUsers(search: $search, first: $first, after: $after) {
    edges { node { id email displayName status roles createdAt lastLoginAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def test_admin_users_search_and_pages_for_staff_only(auth_url: str, settings: Settings) -> None:
    import secrets

    from tests.subgraphs.auth.helpers import set_roles, tokens_of

    tag = secrets.token_hex(4)
    made = [await sign_up(auth_url, f"patient-{tag}-{i}@example.com") for i in range(3)]
    support = await sign_up(auth_url)
    await set_roles(settings, support["user"]["id"], "USER,SUPPORT")
    staff = (await tokens_of(auth_url, support["user"]["email"]))["accessToken"]

    page1 = (await gql(auth_url, ADMIN_USERS, {"search": tag, "first": 2}, token=staff))["data"]["adminUsers"]
    newest_first = [made[2]["user"]["email"], made[1]["user"]["email"]]
    assert [e["node"]["email"] for e in page1["edges"]] == newest_first
    assert page1["pageInfo"]["hasNextPage"] is True
    after = {"search": tag, "first": 2, "after": page1["pageInfo"]["endCursor"]}
    page2 = (await gql(auth_url, ADMIN_USERS, after, token=staff))["data"]["adminUsers"]
    assert [e["node"]["id"] for e in page2["edges"]] == [made[0]["user"]["id"]]
    assert page2["pageInfo"]["hasNextPage"] is False
    assert page2["edges"][0]["node"]["status"] == "ACTIVE"

    # A wildcard typed by the admin is a literal, not a pattern that lists everyone.
    assert (await gql(auth_url, ADMIN_USERS, {"search": "%", "first": 5}, token=staff))["data"]["adminUsers"][
        "edges"] == []
    as_user = await gql(auth_url, ADMIN_USERS, {"first": 5}, token=made[0]["tokens"]["accessToken"])
    assert error_codes(as_user) == ["FORBIDDEN"]
    # SUPPORT may read but not act.
    act = await gql(auth_url, SUSPEND, {"userId": made[0]["user"]["id"], "reason": "x"}, token=staff)
    assert error_codes(act) == ["FORBIDDEN"]


async def test_admin_actions_are_published_with_actor_and_reason(auth_url: str, settings: Settings,
                                                                 redis: Redis) -> None:
    admin = await admin_tokens(auth_url, settings)
    admin_id = (await gql(auth_url, "query { me { id } }", token=admin["accessToken"]))["data"]["me"]["id"]
    user = await sign_up(auth_url)
    await gql(auth_url, SUSPEND, {"userId": user["user"]["id"], "reason": "chargeback fraud"},
              token=admin["accessToken"], headers=from_router({"x-request-id": "req-suspend-1"}))
    found: list[dict[str, object]] = []
    for _ in range(100):
        entries = await redis.xrange(stream_key(settings, AUTH_STREAM))
        found = [e for e in (json.loads(f["event"]) for _, f in entries)
                 if e["type"] == "user.suspended" and e["subject"] == user["user"]["id"]]
        if found:
            break
        await asyncio.sleep(0.05)
    assert found and found[0]["data"] == {"userId": user["user"]["id"], "actorId": admin_id,
                                          "reason": "chargeback fraud", "requestId": "req-suspend-1"}
