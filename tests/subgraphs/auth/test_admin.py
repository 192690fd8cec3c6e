"""Admin console actions from the admin contract: SuspendUser, ReinstateUser, GrantRole."""

from __future__ import annotations

from libs.config import Settings
from libs.testing.graphql import error_codes, gql
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
