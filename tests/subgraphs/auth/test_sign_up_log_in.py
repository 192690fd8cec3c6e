"""First slice: signUp, logIn, me, the User entity (issue 2, item 5)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time

import pytest
from redis.asyncio import Redis

from libs.config import Settings
from libs.events.streams import AUTH_STREAM, stream_key
from libs.testing import running_app
from libs.testing.graphql import error_codes, gql
from subgraphs.auth.app import create_app
from subgraphs.auth.settings import AuthSettings
from tests.subgraphs.auth.helpers import LOG_IN, ME, PASSWORD, SIGN_UP, log_in, sign_up, unique_email


async def test_sign_up_returns_user_and_tokens_shaped_as_the_contract(auth_url: str) -> None:
    email = unique_email()
    data = await sign_up(auth_url, email.upper())
    assert data["user"]["email"] == email  # normalized to lower case
    assert data["user"]["displayName"] == "테스트 사용자"
    assert data["user"]["locale"] == "ko-KR"
    assert data["user"]["roles"] == ["USER"]
    tokens = data["tokens"]
    assert tokens["tokenType"] == "Bearer" and tokens["expiresIn"] == 900
    assert tokens["accessToken"].count(".") == 2 and len(tokens["refreshToken"]) >= 32

    me = await gql(auth_url, ME, token=tokens["accessToken"])
    assert me["data"]["me"] == data["user"]


async def test_log_in_with_password_returns_auth_success(auth_url: str) -> None:
    email = unique_email()
    created = await sign_up(auth_url, email)
    result = await log_in(auth_url, f"  {email.upper()} ")
    assert "errors" not in result, result
    payload = result["data"]["logIn"]
    assert payload["__typename"] == "AuthSuccess"
    assert payload["user"] == {"id": created["user"]["id"], "email": email, "roles": ["USER"]}
    me = await gql(auth_url, ME, token=payload["tokens"]["accessToken"])
    assert me["data"]["me"]["id"] == created["user"]["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": None}, "email"),
        ({"password": "short"}, "password"),
        ({"password": None}, "password"),
        ({"password": "password1234"}, "password"),  # long enough but in the common-password list
        ({"displayName": "  "}, "displayName"),
        ({"locale": "korean please"}, "locale"),
    ],
)
async def test_bad_sign_up_input_names_the_field(
    auth_url: str, change: dict[str, str | None], field: str
) -> None:
    variables = {
        "email": unique_email(),
        "password": PASSWORD,
        "displayName": "Kim",
        "locale": "ko-KR",
        **change,
    }
    result = await gql(auth_url, SIGN_UP, {"input": {k: v for k, v in variables.items() if v is not None}})
    assert error_codes(result) == ["BAD_USER_INPUT"], result
    assert result["errors"][0]["extensions"]["field"] == field


async def test_duplicate_email_is_a_conflict(auth_url: str) -> None:
    email = unique_email()
    await sign_up(auth_url, email)
    result = await gql(
        auth_url, SIGN_UP, {"input": {"email": email.upper(), "password": PASSWORD, "displayName": "Again"}}
    )
    assert error_codes(result) == ["CONFLICT"]


async def test_wrong_password_and_unknown_email_answer_alike(auth_url: str) -> None:
    email = unique_email()
    await sign_up(auth_url, email)
    wrong = await log_in(auth_url, email, "wrong-password-123")
    unknown = await log_in(auth_url, unique_email("nobody"), "wrong-password-123")
    assert error_codes(wrong) == error_codes(unknown) == ["UNAUTHENTICATED"]
    assert wrong["errors"][0]["message"] == unknown["errors"][0]["message"]
    assert wrong["data"] is None and unknown["data"] is None


async def test_unknown_email_takes_as_long_as_a_wrong_password(settings: Settings) -> None:
    # At the production hashing cost, where skipping the hash for an unknown email would stand out.
    async with running_app(create_app(settings, AuthSettings())) as base:
        url = base + "/graphql"
        email = unique_email()
        await sign_up(url, email)

        async def timed(address: str) -> float:
            start = time.perf_counter()
            await gql(url, LOG_IN, {"input": {"email": address, "password": "wrong-password-123"}})
            return time.perf_counter() - start

        known_t = statistics.median([await timed(email) for _ in range(3)])
        unknown_t = statistics.median([await timed(unique_email("nobody")) for _ in range(3)])
    # Both verify one argon2id hash; without the dummy hash the unknown email would answer ~10x faster.
    assert unknown_t > known_t * 0.4, (known_t, unknown_t)


async def test_me_without_token_is_unauthenticated(auth_url: str) -> None:
    assert error_codes(await gql(auth_url, ME)) == ["UNAUTHENTICATED"]
    assert error_codes(await gql(auth_url, ME, token="not.a.jwt")) == ["UNAUTHENTICATED"]


ENTITIES = """
query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { id displayName email } } }"""
ENTITY_NAME = """
query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { id displayName } } }"""


async def test_entities_show_display_name_to_others_but_private_fields_only_to_self(auth_url: str) -> None:
    alice = await sign_up(auth_url)
    bob = await sign_up(auth_url)
    reps = {"reps": [{"__typename": "User", "id": bob["user"]["id"]}]}

    by_alice = await gql(auth_url, ENTITY_NAME, reps, token=alice["tokens"]["accessToken"])
    assert by_alice["data"]["_entities"] == [{"id": bob["user"]["id"], "displayName": "테스트 사용자"}]

    prying = await gql(auth_url, ENTITIES, reps, token=alice["tokens"]["accessToken"])
    assert error_codes(prying) == ["FORBIDDEN"]
    assert "@" not in str(prying.get("data"))

    own = await gql(auth_url, ENTITIES, reps, token=bob["tokens"]["accessToken"])
    assert own["data"]["_entities"][0]["email"] == bob["user"]["email"]

    anonymous = await gql(auth_url, ENTITY_NAME, reps)
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_sign_up_publishes_user_signed_up_for_other_subgraphs(auth_url: str, settings: Settings,
                                                                     redis: Redis) -> None:
    user = (await sign_up(auth_url))["user"]
    mine: list[dict[str, object]] = []
    for _ in range(100):
        entries = await redis.xrange(stream_key(settings, AUTH_STREAM))
        events = [json.loads(fields["event"]) for _, fields in entries]
        mine = [e for e in events if e["type"] == "user.signed_up" and e["subject"] == user["id"]]
        if mine:
            break
        await asyncio.sleep(0.05)
    expected = {"userId": user["id"], "displayName": "테스트 사용자", "locale": "ko-KR", "roles": ["USER"]}
    assert mine and mine[0]["data"] == expected


async def test_set_language_preference(auth_url: str, settings: Settings, redis: Redis) -> None:
    user = await sign_up(auth_url)
    token = user["tokens"]["accessToken"]
    op = "mutation SetLanguage($locale: String!) { setLanguagePreference(locale: $locale) { locale } }"
    assert (await gql(auth_url, op, {"locale": "en-US"}, token=token))["data"]["setLanguagePreference"] == {
        "locale": "en-US"}
    assert (await gql(auth_url, op, {"locale": "en-US"}, token=token))["data"]  # unchanged: no second event
    assert (await gql(auth_url, ME, token=token))["data"]["me"]["locale"] == "en-US"
    bad = await gql(auth_url, op, {"locale": "english"}, token=token)
    assert error_codes(bad) == ["BAD_USER_INPUT"] and bad["errors"][0]["extensions"]["field"] == "locale"
    unknown = await gql(auth_url, op, {"locale": "qq-ZZ"}, token=token)  # well formed, but no such language
    assert error_codes(unknown) == ["BAD_USER_INPUT"] and "unknown locale" in unknown["errors"][0]["message"]
    # Auth owns the language and announces it: coaching and notification word their messages in it.
    mine: list[dict[str, object]] = []
    for _ in range(100):
        entries = await redis.xrange(stream_key(settings, AUTH_STREAM))
        events = [json.loads(fields["event"]) for _, fields in entries]
        mine = [e for e in events
                if e["type"] == "user.locale_changed" and e["subject"] == user["user"]["id"]]
        if mine:
            break
        await asyncio.sleep(0.05)
    assert [e["data"] for e in mine] == [{"userId": user["user"]["id"], "locale": "en-US"}]
    assert error_codes(await gql(auth_url, op, {"locale": "ko-KR"})) == ["UNAUTHENTICATED"]
