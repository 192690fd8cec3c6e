"""Refresh rotation with reuse detection, log-out and revocation seen by another subgraph, sessions."""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import UTC, datetime, timedelta

from libs.config import Settings
from libs.testing.graphql import error_codes, gql
from subgraphs.auth.settings import AuthSettings
from tests.subgraphs.auth.helpers import WHOAMI, run_sql, sign_up, tokens_of

REFRESH = """
mutation RefreshTokens($refreshToken: String!) {
  refreshTokens(refreshToken: $refreshToken) { accessToken refreshToken expiresIn tokenType }
}"""
LOG_OUT = "mutation LogOut { logOut }"
SESSIONS = "query { me { sessions { id device current createdAt lastUsedAt } } }"
REVOKE = "mutation($id: ID!) { revokeSession(id: $id) }"
CHANGE_PASSWORD = "mutation($input: ChangePasswordInput!) { changePassword(input: $input) }"


async def test_refresh_rotates_and_reuse_of_a_retired_token_revokes_the_family(
    auth_url: str, other_url: str
) -> None:
    first = (await sign_up(auth_url))["tokens"]
    rotated = await gql(auth_url, REFRESH, {"refreshToken": first["refreshToken"]})
    assert "errors" not in rotated, rotated
    second = rotated["data"]["refreshTokens"]
    assert second["refreshToken"] != first["refreshToken"] and second["tokenType"] == "Bearer"
    assert (await gql(other_url, WHOAMI, token=second["accessToken"]))["data"]["whoami"]

    # The retired token presented again (an attacker's copy, or the victim's after theft): the family ends.
    reuse = await gql(auth_url, REFRESH, {"refreshToken": first["refreshToken"]})
    assert error_codes(reuse) == ["UNAUTHENTICATED"]
    assert "reuse" in reuse["errors"][0]["message"]
    # ... including the newest refresh token and the access tokens of that session, on every subgraph.
    assert error_codes(await gql(auth_url, REFRESH, {"refreshToken": second["refreshToken"]})) == [
        "UNAUTHENTICATED"
    ]
    assert error_codes(await gql(other_url, WHOAMI, token=second["accessToken"])) == ["UNAUTHENTICATED"]
    assert error_codes(await gql(other_url, WHOAMI, token=first["accessToken"])) == ["UNAUTHENTICATED"]


async def test_reuse_is_recorded_as_a_security_event(auth_url: str, settings) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from libs.db.sql import create_engine

    data = await sign_up(auth_url)
    first = data["tokens"]
    await gql(auth_url, REFRESH, {"refreshToken": first["refreshToken"]})
    await gql(auth_url, REFRESH, {"refreshToken": first["refreshToken"]})
    engine = create_engine(settings.sql_url(AuthSettings().database))
    async with engine.connect() as conn:
        kinds = (
            (
                await conn.execute(
                    text("SELECT kind FROM security_events WHERE user_id = :u"), {"u": data["user"]["id"]}
                )
            )
            .scalars()
            .all()
        )
    await engine.dispose()
    assert "REFRESH_TOKEN_REUSE" in kinds


async def test_concurrent_refreshes_with_one_token_yield_at_most_one_new_pair(auth_url: str) -> None:
    first = (await sign_up(auth_url))["tokens"]
    results = await asyncio.gather(
        *[gql(auth_url, REFRESH, {"refreshToken": first["refreshToken"]}) for _ in range(4)]
    )
    assert sum(1 for r in results if "errors" not in r) <= 1


async def test_log_out_revokes_at_once_on_another_subgraph(auth_url: str, other_url: str) -> None:
    tokens = (await sign_up(auth_url))["tokens"]
    before = await gql(other_url, WHOAMI, token=tokens["accessToken"])
    assert before.get("data", {}).get("whoami"), before

    assert (await gql(auth_url, LOG_OUT, token=tokens["accessToken"]))["data"]["logOut"] is True
    start = time.monotonic()
    after = await gql(other_url, WHOAMI, token=tokens["accessToken"])
    assert time.monotonic() - start < 1.0
    assert error_codes(after) == ["UNAUTHENTICATED"]
    assert after["errors"][0]["message"] == "access token revoked"
    # The refresh family is gone too.
    assert error_codes(await gql(auth_url, REFRESH, {"refreshToken": tokens["refreshToken"]})) == [
        "UNAUTHENTICATED"
    ]


async def test_sessions_list_and_revoking_another_device(auth_url: str, other_url: str) -> None:
    user = await sign_up(auth_url)
    phone = user["tokens"]
    laptop = await tokens_of(auth_url, user["user"]["email"])
    listed = await gql(auth_url, SESSIONS, token=phone["accessToken"])
    sessions = listed["data"]["me"]["sessions"]
    assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1
    laptop_id = next(s["id"] for s in sessions if not s["current"])

    assert (await gql(auth_url, REVOKE, {"id": laptop_id}, token=phone["accessToken"]))["data"][
        "revokeSession"
    ]
    assert error_codes(await gql(other_url, WHOAMI, token=laptop["accessToken"])) == ["UNAUTHENTICATED"]
    assert (await gql(other_url, WHOAMI, token=phone["accessToken"]))["data"]["whoami"] == user["user"]["id"]
    remaining = (await gql(auth_url, SESSIONS, token=phone["accessToken"]))["data"]["me"]["sessions"]
    assert [s["id"] for s in remaining] != [laptop_id] and len(remaining) == 1


async def test_a_user_cannot_see_or_revoke_another_users_sessions(auth_url: str, other_url: str) -> None:
    alice = (await sign_up(auth_url))["tokens"]
    bob = await sign_up(auth_url)
    bob_session = (await gql(auth_url, SESSIONS, token=bob["tokens"]["accessToken"]))["data"]["me"][
        "sessions"
    ][0]

    attempt = await gql(auth_url, REVOKE, {"id": bob_session["id"]}, token=alice["accessToken"])
    assert error_codes(attempt) == ["NOT_FOUND"]  # same answer as a session that does not exist
    assert (await gql(other_url, WHOAMI, token=bob["tokens"]["accessToken"]))["data"]["whoami"]

    # Not through _entities sent straight to the subgraph either.
    entities = await gql(
        auth_url,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { sessions { id } } } }",
        {"r": [{"__typename": "User", "id": bob["user"]["id"]}]},
        token=alice["accessToken"],
    )
    assert error_codes(entities) == ["FORBIDDEN"]
    assert bob_session["id"] not in str(entities.get("data"))


async def test_password_change_ends_other_sessions_and_keeps_this_one(auth_url: str, other_url: str) -> None:
    user = await sign_up(auth_url)
    here = user["tokens"]
    elsewhere = await tokens_of(auth_url, user["user"]["email"])
    wrong = await gql(
        auth_url,
        CHANGE_PASSWORD,
        {"input": {"currentPassword": "not-the-password", "newPassword": "a-brand-new-passphrase"}},
        token=here["accessToken"],
    )
    assert (
        error_codes(wrong) == ["BAD_USER_INPUT"]
        and wrong["errors"][0]["extensions"]["field"] == "currentPassword"
    )
    assert (await gql(other_url, WHOAMI, token=elsewhere["accessToken"]))["data"]["whoami"]

    changed = await gql(
        auth_url,
        CHANGE_PASSWORD,
        {"input": {"currentPassword": "correct-horse-battery-42", "newPassword": "a-brand-new-passphrase"}},
        token=here["accessToken"],
    )
    assert changed["data"]["changePassword"] is True, changed
    assert error_codes(await gql(other_url, WHOAMI, token=elsewhere["accessToken"])) == ["UNAUTHENTICATED"]
    assert (await gql(other_url, WHOAMI, token=here["accessToken"]))["data"]["whoami"]
    await tokens_of(auth_url, user["user"]["email"], "a-brand-new-passphrase")


async def test_account_deletion_request_needs_the_password_and_ends_every_session(auth_url: str,
                                                                                  other_url: str) -> None:
    user = await sign_up(auth_url)
    token = user["tokens"]["accessToken"]
    delete = "mutation($p: String) { requestAccountDeletion(password: $p) }"
    wrong = await gql(auth_url, delete, {"p": "not-my-password"}, token=token)
    assert error_codes(wrong) == ["BAD_USER_INPUT"]
    assert (await gql(other_url, WHOAMI, token=token))["data"]["whoami"]
    assert (await gql(auth_url, delete, {"p": "correct-horse-battery-42"}, token=token))["data"][
        "requestAccountDeletion"] is True
    assert error_codes(await gql(other_url, WHOAMI, token=token)) == ["UNAUTHENTICATED"]


async def test_an_expired_refresh_token_is_refused(auth_url: str, settings: Settings) -> None:
    tokens = (await sign_up(auth_url))["tokens"]
    token_hash = hashlib.sha256(tokens["refreshToken"].encode()).hexdigest()
    await run_sql(settings, "UPDATE refresh_tokens SET expires_at = :t WHERE token_hash = :h",
                  t=datetime.now(UTC) - timedelta(seconds=1), h=token_hash)
    expired = await gql(auth_url, REFRESH, {"refreshToken": tokens["refreshToken"]})
    assert error_codes(expired) == ["UNAUTHENTICATED"] and "expired" in expired["errors"][0]["message"]
