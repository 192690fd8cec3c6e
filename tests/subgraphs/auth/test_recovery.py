"""Email verification and password reset through a local SMTP server: single-use, expiring links."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from libs.config import Settings
from libs.testing.graphql import error_codes, gql
from tests.subgraphs.auth.fakes.smtp import Inbox, SmtpServer
from tests.subgraphs.auth.helpers import WHOAMI, log_in, run_sql, sign_up, tokens_of, unique_email

REQUEST_VERIFY = "mutation { requestEmailVerification }"
VERIFY = "mutation($t: String!) { verifyEmail(token: $t) }"
REQUEST_RESET = "mutation($e: String!) { requestPasswordReset(email: $e) }"
RESET = "mutation($input: ResetPasswordInput!) { resetPassword(input: $input) }"
VERIFIED = "query { me { emailVerified } }"


async def test_email_verification_link_works_once(auth_url: str, smtp: SmtpServer) -> None:
    user = await sign_up(auth_url)
    token, email = user["tokens"]["accessToken"], user["user"]["email"]
    assert (await gql(auth_url, VERIFIED, token=token))["data"]["me"]["emailVerified"] is False
    assert (await gql(auth_url, REQUEST_VERIFY, token=token))["data"]["requestEmailVerification"]
    mail = await smtp.inbox.wait_for(email, "confirm your email")
    assert "https://app.manpasik.test/verify-email?token=" in mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    link_token = Inbox.token_in(mail)

    assert error_codes(await gql(auth_url, VERIFY, {"t": "forged-" + link_token})) == ["BAD_USER_INPUT"]
    assert (await gql(auth_url, VERIFY, {"t": link_token}))["data"]["verifyEmail"] is True
    assert (await gql(auth_url, VERIFIED, token=token))["data"]["me"]["emailVerified"] is True
    assert error_codes(await gql(auth_url, VERIFY, {"t": link_token})) == ["BAD_USER_INPUT"]


async def test_password_reset_sets_a_new_password_and_ends_every_session(
    auth_url: str, other_url: str, smtp: SmtpServer
) -> None:
    user = await sign_up(auth_url)
    email, old_token = user["user"]["email"], user["tokens"]["accessToken"]
    assert (await gql(auth_url, REQUEST_RESET, {"e": email}))["data"]["requestPasswordReset"] is True
    # An unknown address gets the same answer (and no mail).
    stranger = unique_email("stranger")
    assert (await gql(auth_url, REQUEST_RESET, {"e": stranger}))["data"]["requestPasswordReset"] is True
    link_token = Inbox.token_in(await smtp.inbox.wait_for(email, "reset your password"))

    weak = await gql(auth_url, RESET, {"input": {"token": link_token, "newPassword": "qwertyuiop"}})
    assert (
        error_codes(weak) == ["BAD_USER_INPUT"] and weak["errors"][0]["extensions"]["field"] == "newPassword"
    )
    assert (await gql(other_url, WHOAMI, token=old_token))["data"]["whoami"]  # nothing changed yet

    done = await gql(
        auth_url, RESET, {"input": {"token": link_token, "newPassword": "reset-to-a-new-phrase"}}
    )
    assert done["data"]["resetPassword"] is True, done
    assert error_codes(await gql(other_url, WHOAMI, token=old_token)) == ["UNAUTHENTICATED"]
    assert error_codes(await log_in(auth_url, email)) == ["UNAUTHENTICATED"]
    await tokens_of(auth_url, email, "reset-to-a-new-phrase")
    again = await gql(
        auth_url, RESET, {"input": {"token": link_token, "newPassword": "yet-another-phrase-9"}}
    )
    assert error_codes(again) == ["BAD_USER_INPUT"]
    assert not [m for m in smtp.inbox.messages if m["To"] == stranger]


async def test_password_reset_mails_are_limited_per_address(auth_url: str) -> None:
    email = unique_email("flood")  # unknown or not: the same answers, so the limit tells nothing either
    answers = [error_codes(await gql(auth_url, REQUEST_RESET, {"e": email})) for _ in range(4)]
    assert answers == [[], [], [], ["RATE_LIMITED"]]


async def test_an_expired_reset_link_is_refused(auth_url: str, smtp: SmtpServer, settings: Settings) -> None:
    email = (await sign_up(auth_url))["user"]["email"]
    await gql(auth_url, REQUEST_RESET, {"e": email})
    link_token = Inbox.token_in(await smtp.inbox.wait_for(email, "reset your password"))
    link_hash = hashlib.sha256(link_token.encode()).hexdigest()
    await run_sql(settings, "UPDATE one_time_tokens SET expires_at = :t WHERE token_hash = :h",
                  t=datetime.now(UTC) - timedelta(seconds=1), h=link_hash)
    late = await gql(auth_url, RESET, {"input": {"token": link_token, "newPassword": "too-late-for-this-1"}})
    assert error_codes(late) == ["BAD_USER_INPUT"] and late["errors"][0]["extensions"]["field"] == "token"
