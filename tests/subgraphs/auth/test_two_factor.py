"""TOTP enrollment and the log-in challenge, replay refusal, attempt limits, backup codes, SMS codes."""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import text

from libs.config import Settings
from libs.db.sql import create_engine
from libs.testing.graphql import error_codes, gql
from subgraphs.auth.settings import AuthSettings
from tests.subgraphs.auth.fakes.twilio_verify import FakeTwilioVerify
from tests.subgraphs.auth.helpers import log_in, sign_up

START = "mutation StartTotpEnrollment { startTotpEnrollment { secret provisioningUri } }"
CONFIRM = (
    "mutation ConfirmTotpEnrollment($code: String!) { confirmTotpEnrollment(code: $code) { backupCodes } }"
)
VERIFY = """
mutation VerifyTwoFactor($input: VerifyTwoFactorInput!) {
  verifyTwoFactor(input: $input) { user { id } tokens { accessToken refreshToken expiresIn tokenType } }
}"""
SEND_SMS = "mutation($t: String!) { sendTwoFactorSms(challengeToken: $t) }"
START_PHONE = "mutation($p: String!) { startPhoneVerification(phone: $p) }"
CONFIRM_PHONE = """mutation($p: String!, $c: String!) {
  confirmPhoneVerification(phone: $p, code: $c) { id phoneVerified } }"""


def code_at(secret: str, steps_ahead: int) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


async def enrolled_user(url: str) -> tuple[dict[str, Any], str, list[str]]:
    user = await sign_up(url)
    token = user["tokens"]["accessToken"]
    started = (await gql(url, START, token=token))["data"]["startTotpEnrollment"]
    uri = urlparse(started["provisioningUri"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert parse_qs(uri.query)["secret"] == [started["secret"]] and parse_qs(uri.query)["issuer"] == [
        "ManPaSik"
    ]
    wrong = await gql(
        url,
        CONFIRM,
        {"code": "000000" if code_at(started["secret"], 0) != "000000" else "111111"},
        token=token,
    )
    assert error_codes(wrong) == ["BAD_USER_INPUT"]  # signed in: a typo must not log the app out
    confirmed = await gql(url, CONFIRM, {"code": code_at(started["secret"], 0)}, token=token)
    codes = confirmed["data"]["confirmTotpEnrollment"]["backupCodes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    return user, started["secret"], codes


async def challenge(url: str, email: str) -> dict[str, Any]:
    result = await log_in(url, email)
    payload: dict[str, Any] = result["data"]["logIn"]
    assert payload["__typename"] == "TwoFactorChallenge", result
    return payload


async def test_totp_login_challenge_and_replay_of_a_used_code_is_refused(auth_url: str) -> None:
    user, secret, _ = await enrolled_user(auth_url)
    email = user["user"]["email"]
    first = await challenge(auth_url, email)
    assert first["methods"] == ["TOTP", "BACKUP_CODE"]
    assert "tokens" not in first

    code = code_at(secret, 1)  # the next time step: the enrollment already used the current one
    ok = await gql(auth_url, VERIFY, {"input": {"challengeToken": first["challengeToken"], "code": code}})
    assert ok["data"]["verifyTwoFactor"]["user"]["id"] == user["user"]["id"], ok
    # The challenge is single use ...
    again = await gql(auth_url, VERIFY, {"input": {"challengeToken": first["challengeToken"], "code": code}})
    assert error_codes(again) == ["UNAUTHENTICATED"]
    # ... and the same code on a fresh challenge (a shoulder-surfed or phished code) is a replay.
    second = await challenge(auth_url, email)
    replay = await gql(
        auth_url, VERIFY, {"input": {"challengeToken": second["challengeToken"], "code": code}}
    )
    assert error_codes(replay) == ["UNAUTHENTICATED"]


async def test_wrong_codes_are_limited_per_challenge(auth_url: str) -> None:
    user, secret, _ = await enrolled_user(auth_url)
    current = await challenge(auth_url, user["user"]["email"])
    valid = {code_at(secret, s) for s in (-1, 0, 1, 2)}
    wrong = next(c for c in ("123456", "654321", "111111") if c not in valid)
    for _ in range(5):
        result = await gql(
            auth_url, VERIFY, {"input": {"challengeToken": current["challengeToken"], "code": wrong}}
        )
        assert error_codes(result) == ["UNAUTHENTICATED"]
    blocked = await gql(
        auth_url, VERIFY, {"input": {"challengeToken": current["challengeToken"], "code": code_at(secret, 2)}}
    )
    assert error_codes(blocked) == ["RATE_LIMITED"]
    # The challenge is gone: even the right code no longer works on it.
    gone = await gql(
        auth_url, VERIFY, {"input": {"challengeToken": current["challengeToken"], "code": code_at(secret, 2)}}
    )
    assert error_codes(gone) == ["UNAUTHENTICATED"]


async def test_backup_codes_work_once(auth_url: str) -> None:
    user, _, codes = await enrolled_user(auth_url)
    email = user["user"]["email"]
    first = await challenge(auth_url, email)
    used = await gql(
        auth_url, VERIFY, {"input": {"challengeToken": first["challengeToken"], "code": codes[3].lower()}}
    )
    assert used["data"]["verifyTwoFactor"]["tokens"]["accessToken"], used
    second = await challenge(auth_url, email)
    reused = await gql(
        auth_url, VERIFY, {"input": {"challengeToken": second["challengeToken"], "code": codes[3]}}
    )
    assert error_codes(reused) == ["UNAUTHENTICATED"]
    other = await gql(
        auth_url, VERIFY, {"input": {"challengeToken": second["challengeToken"], "code": codes[4]}}
    )
    assert other["data"]["verifyTwoFactor"]["user"]["id"] == user["user"]["id"]


async def test_sms_code_through_the_provider_as_a_second_factor(
    auth_url: str, twilio: FakeTwilioVerify
) -> None:
    user, _, _ = await enrolled_user(auth_url)
    token = user["tokens"]["accessToken"]
    phone = "+8210" + str(int(time.time() * 1000))[-8:]
    bad = await gql(auth_url, START_PHONE, {"p": "010-1234-5678"}, token=token)
    assert error_codes(bad) == ["BAD_USER_INPUT"] and bad["errors"][0]["extensions"]["field"] == "phone"
    assert (await gql(auth_url, START_PHONE, {"p": phone}, token=token))["data"]["startPhoneVerification"]
    confirmed = await gql(auth_url, CONFIRM_PHONE, {"p": phone, "c": twilio.last_code(phone)}, token=token)
    assert confirmed["data"]["confirmPhoneVerification"]["phoneVerified"] is True, confirmed

    current = await challenge(auth_url, user["user"]["email"])
    assert current["methods"] == ["TOTP", "SMS", "BACKUP_CODE"]
    assert (await gql(auth_url, SEND_SMS, {"t": current["challengeToken"]}))["data"]["sendTwoFactorSms"]
    sms_code = twilio.last_code(phone)
    ok = await gql(
        auth_url, VERIFY, {"input": {"challengeToken": current["challengeToken"], "code": sms_code}}
    )
    assert ok["data"]["verifyTwoFactor"]["user"]["id"] == user["user"]["id"], ok
    # The provider approved it once; the same SMS code cannot open another challenge.
    later = await challenge(auth_url, user["user"]["email"])
    replay = await gql(
        auth_url, VERIFY, {"input": {"challengeToken": later["challengeToken"], "code": sms_code}}
    )
    assert error_codes(replay) == ["UNAUTHENTICATED"]


async def test_wrong_codes_are_limited_per_account_across_challenges(auth_url: str) -> None:
    user, secret, _ = await enrolled_user(auth_url)
    valid = {code_at(secret, s) for s in (-1, 0, 1, 2)}
    wrong = next(c for c in ("123456", "654321", "111111") if c not in valid)
    for _ in range(2):  # a fresh challenge each time: 3 wrong codes stay under the per-challenge limit
        current = await challenge(auth_url, user["user"]["email"])
        attempt = {"input": {"challengeToken": current["challengeToken"], "code": wrong}}
        answers = [error_codes(await gql(auth_url, VERIFY, attempt)) for _ in range(3)]
    assert answers[:2] == [["UNAUTHENTICATED"]] * 2 and answers[2] == ["RATE_LIMITED"]


async def test_totp_seed_is_stored_sealed(auth_url: str, settings: Settings) -> None:
    user, secret, _ = await enrolled_user(auth_url)
    engine = create_engine(settings.sql_url(AuthSettings().database))
    try:
        async with engine.connect() as conn:
            stored = (await conn.execute(text("SELECT totp_secret FROM users WHERE id = :u"),
                                         {"u": user["user"]["id"]})).scalar_one()
    finally:
        await engine.dispose()
    assert stored.startswith("v1:") and secret not in stored


def test_prod_needs_a_secrets_key() -> None:
    from libs.config import SettingsError
    from subgraphs.auth.secretbox import SecretBox

    prod = Settings(MANPASIK_ENV="prod", JWT_SECRET="x" * 40, DATABASE_URL="postgresql+asyncpg://h/db",
                    MONGODB_URL="mongodb://m")
    with pytest.raises(SettingsError, match="AUTH_SECRETS_KEY"):
        SecretBox.from_settings(prod, None)
    box = SecretBox.from_settings(prod, base64.b64encode(b"k" * 32).decode())
    sealed = box.seal("JBSWY3DPEHPK3PXP", context="user-1")
    assert box.open(sealed, context="user-1") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(InvalidTag):  # copied onto another account, it does not open
        box.open(sealed, context="user-2")


async def test_disabling_totp_needs_a_current_code(auth_url: str) -> None:
    user, secret, _ = await enrolled_user(auth_url)
    token = user["tokens"]["accessToken"]
    disable = "mutation($c: String!) { disableTotp(code: $c) }"
    valid = {code_at(secret, s) for s in (-1, 0, 1, 2)}
    wrong = next(c for c in ("123456", "654321", "111111") if c not in valid)
    assert error_codes(await gql(auth_url, disable, {"c": wrong}, token=token)) == ["BAD_USER_INPUT"]
    assert (await challenge(auth_url, user["user"]["email"]))["methods"][0] == "TOTP"  # still on
    turned_off = await gql(auth_url, disable, {"c": code_at(secret, 1)}, token=token)
    assert turned_off["data"]["disableTotp"] is True, turned_off
    assert (await log_in(auth_url, user["user"]["email"]))["data"]["logIn"]["__typename"] == "AuthSuccess"
