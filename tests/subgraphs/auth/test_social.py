"""Social log-in against local Google, Kakao and Naver servers: state, nonce, PKCE, id_token signatures, and
linking to an existing account only through a verified email."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from libs.testing.graphql import error_codes, gql
from tests.subgraphs.auth.fakes.oauth import FakeProviders
from tests.subgraphs.auth.helpers import ME, sign_up, unique_email

REDIRECT = "manpasik://oauth/callback"
START = """
mutation($input: StartSocialLogInInput!) { startSocialLogIn(input: $input) { authorizationUrl state } }"""
SOCIAL = """
mutation SocialLogIn($input: SocialLogInInput!) {
  socialLogIn(input: $input) {
    __typename
    ... on AuthSuccess { user { id email } tokens { accessToken refreshToken expiresIn tokenType } }
    ... on TwoFactorChallenge { challengeToken methods }
  }
}"""


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def authorize(auth_url: str, provider: str, *, with_pkce: bool = True) -> dict[str, Any]:
    """The app's part: startSocialLogIn, open the URL (the fake redirects back), read code and state."""
    verifier, challenge = pkce()
    started = await gql(
        auth_url,
        START,
        {
            "input": {
                "provider": provider,
                "redirectUri": REDIRECT,
                **({"codeChallenge": challenge} if with_pkce else {}),
            }
        },
    )
    assert "errors" not in started, started
    url = started["data"]["startSocialLogIn"]["authorizationUrl"]
    async with httpx.AsyncClient() as client:
        redirect = await client.get(url, follow_redirects=False)
    assert redirect.status_code in (302, 307), redirect.text
    params = parse_qs(urlparse(redirect.headers["location"]).query)
    assert params["state"] == [started["data"]["startSocialLogIn"]["state"]]
    return {
        "provider": provider,
        "authorizationCode": params["code"][0],
        "state": params["state"][0],
        "redirectUri": REDIRECT,
        "codeVerifier": verifier if with_pkce else None,
        "url": url,
    }


def social_input(flow: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"input": {k: v for k, v in {**flow, **changes}.items() if k != "url" and v is not None}}


async def test_google_creates_an_account_then_logs_the_same_identity_in(
    auth_url: str, providers: FakeProviders
) -> None:
    email, sub = unique_email("google"), secrets.token_hex(8)
    providers.sign_in_as("GOOGLE", sub=sub, email=email, email_verified=True, name="구글 사용자")
    flow = await authorize(auth_url, "GOOGLE")
    query = parse_qs(urlparse(flow["url"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"]
    first = await gql(auth_url, SOCIAL, social_input(flow))
    assert first["data"]["socialLogIn"]["__typename"] == "AuthSuccess", first
    user_id = first["data"]["socialLogIn"]["user"]["id"]
    me = await gql(auth_url, ME, token=first["data"]["socialLogIn"]["tokens"]["accessToken"])
    assert me["data"]["me"]["email"] == email and me["data"]["me"]["displayName"] == "구글 사용자"

    # The same code and state again: the state is single use.
    assert error_codes(await gql(auth_url, SOCIAL, social_input(flow))) == ["UNAUTHENTICATED"]

    providers.sign_in_as("GOOGLE", sub=sub, email=email)
    again = await gql(auth_url, SOCIAL, social_input(await authorize(auth_url, "GOOGLE")))
    assert again["data"]["socialLogIn"]["user"]["id"] == user_id


async def test_google_links_an_existing_account_only_by_a_verified_email(
    auth_url: str, providers: FakeProviders
) -> None:
    owner = await sign_up(auth_url)
    email = owner["user"]["email"]
    providers.sign_in_as("GOOGLE", sub=secrets.token_hex(8), email=email, email_verified=False)
    unverified = await gql(auth_url, SOCIAL, social_input(await authorize(auth_url, "GOOGLE")))
    assert error_codes(unverified) == ["CONFLICT"]

    providers.sign_in_as("GOOGLE", sub=secrets.token_hex(8), email=email, email_verified=True)
    linked = await gql(auth_url, SOCIAL, social_input(await authorize(auth_url, "GOOGLE")))
    assert linked["data"]["socialLogIn"]["user"]["id"] == owner["user"]["id"], linked


async def test_google_id_token_with_a_foreign_signature_or_wrong_nonce_is_refused(
    auth_url: str,
    providers: FakeProviders,
) -> None:
    real_key = providers.key
    providers.sign_in_as("GOOGLE", sub=secrets.token_hex(8), email=unique_email("g"))
    flow = await authorize(auth_url, "GOOGLE")
    providers.key = rsa.generate_private_key(
        public_exponent=65537, key_size=2048
    )  # signs, but is not published
    try:
        forged = await gql(auth_url, SOCIAL, social_input(flow))
    finally:
        providers.key = real_key
    assert error_codes(forged) == ["UNAUTHENTICATED"], forged

    providers.sign_in_as("GOOGLE", sub=secrets.token_hex(8), email=unique_email("g"))
    flow = await authorize(auth_url, "GOOGLE")
    providers.grants[flow["authorizationCode"]].nonce = "not-the-nonce-we-sent"
    assert error_codes(await gql(auth_url, SOCIAL, social_input(flow))) == ["UNAUTHENTICATED"]


async def test_state_must_be_ours_and_unused(auth_url: str, providers: FakeProviders) -> None:
    providers.sign_in_as("GOOGLE", sub=secrets.token_hex(8), email=unique_email("g"))
    flow = await authorize(auth_url, "GOOGLE")
    forged = await gql(auth_url, SOCIAL, social_input(flow, state="attacker-chosen-state"))
    assert error_codes(forged) == ["UNAUTHENTICATED"]
    missing = await gql(auth_url, SOCIAL, social_input(flow, state=None))
    assert (
        error_codes(missing) == ["BAD_USER_INPUT"] and missing["errors"][0]["extensions"]["field"] == "state"
    )


async def test_kakao_requires_pkce_and_checks_the_verifier(auth_url: str, providers: FakeProviders) -> None:
    no_pkce = await gql(auth_url, START, {"input": {"provider": "KAKAO", "redirectUri": REDIRECT}})
    assert error_codes(no_pkce) == ["BAD_USER_INPUT"]

    email = unique_email("kakao")
    providers.sign_in_as("KAKAO", sub=str(secrets.randbelow(10**9)), email=email, name="카카오 사용자")
    flow = await authorize(auth_url, "KAKAO")
    wrong = await gql(auth_url, SOCIAL, social_input(flow, codeVerifier=secrets.token_urlsafe(48)))
    assert error_codes(wrong) == ["UNAUTHENTICATED"]

    providers.sign_in_as("KAKAO", sub=str(secrets.randbelow(10**9)), email=email, name="카카오 사용자")
    flow = await authorize(auth_url, "KAKAO")
    ok = await gql(auth_url, SOCIAL, social_input(flow))
    assert ok["data"]["socialLogIn"]["user"]["email"] == email, ok
    token_call = providers.token_requests[-1]
    assert (
        token_call["code_verifier"] == flow["codeVerifier"]
        and token_call["client_id"] == "kakao-rest-api-key"
    )


async def test_kakao_error_response_is_reported(auth_url: str, providers: FakeProviders) -> None:
    providers.sign_in_as("KAKAO", sub="42", email=unique_email("kakao"))
    flow = await authorize(auth_url, "KAKAO")
    providers.grants.pop(flow["authorizationCode"])  # the code expired at Kakao (KOE320)
    result = await gql(auth_url, SOCIAL, social_input(flow))
    assert error_codes(result) == ["UNAUTHENTICATED"] and "invalid_grant" in result["errors"][0]["message"]


async def test_naver_confidential_client_and_no_linking_by_unverified_email(
    auth_url: str, providers: FakeProviders
) -> None:
    email = unique_email("naver")
    providers.sign_in_as("NAVER", sub=secrets.token_hex(10), email=email, name="네이버 사용자")
    flow = await authorize(auth_url, "NAVER", with_pkce=False)
    ok = await gql(auth_url, SOCIAL, social_input(flow))
    assert ok["data"]["socialLogIn"]["user"]["email"] == email, ok
    token_call = providers.token_requests[-1]
    assert token_call["client_secret"] == "naver-secret" and token_call["state"] == flow["state"]

    # Naver does not vouch for emails: an existing password account is never taken over through one.
    owner = await sign_up(auth_url)
    providers.sign_in_as("NAVER", sub=secrets.token_hex(10), email=owner["user"]["email"])
    taken = await gql(auth_url, SOCIAL, social_input(await authorize(auth_url, "NAVER", with_pkce=False)))
    assert error_codes(taken) == ["CONFLICT"]


async def test_social_account_with_2fa_gets_a_challenge(auth_url: str, providers: FakeProviders) -> None:
    import pyotp

    email, sub = unique_email("google2fa"), secrets.token_hex(8)
    providers.sign_in_as("GOOGLE", sub=sub, email=email)
    first = await gql(auth_url, SOCIAL, social_input(await authorize(auth_url, "GOOGLE")))
    token = first["data"]["socialLogIn"]["tokens"]["accessToken"]
    secret = (await gql(auth_url, "mutation { startTotpEnrollment { secret } }", token=token))["data"][
        "startTotpEnrollment"
    ]["secret"]
    await gql(
        auth_url,
        "mutation($c: String!) { confirmTotpEnrollment(code: $c) { backupCodes } }",
        {"c": pyotp.TOTP(secret).now()},
        token=token,
    )
    providers.sign_in_as("GOOGLE", sub=sub, email=email)
    second = await gql(auth_url, SOCIAL, social_input(await authorize(auth_url, "GOOGLE")))
    assert second["data"]["socialLogIn"]["__typename"] == "TwoFactorChallenge"


async def test_naver_error_body_with_status_200_is_a_refusal(auth_url: str, providers: FakeProviders) -> None:
    providers.sign_in_as("NAVER", sub=secrets.token_hex(10), email=unique_email("naver"))
    flow = await authorize(auth_url, "NAVER", with_pkce=False)
    providers.grants.pop(flow["authorizationCode"])  # Naver: {"error": "invalid_request", ...} with 200
    result = await gql(auth_url, SOCIAL, social_input(flow))
    assert error_codes(result) == ["UNAUTHENTICATED"] and "invalid_request" in result["errors"][0]["message"]


async def test_google_pkce_verifier_must_match(auth_url: str, providers: FakeProviders) -> None:
    providers.sign_in_as("GOOGLE", sub=secrets.token_hex(8), email=unique_email("g"))
    flow = await authorize(auth_url, "GOOGLE")
    stolen_code = await gql(auth_url, SOCIAL, social_input(flow, codeVerifier=secrets.token_urlsafe(48)))
    assert error_codes(stolen_code) == ["UNAUTHENTICATED"]
