"""The auth subgraph on a free port for the session, wired to local fakes of its third parties (SMTP server,
Twilio Verify, Google/Kakao/Naver), plus a second subgraph that only verifies tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from libs.config import Settings
from libs.testing import running_app
from subgraphs.auth.app import create_app
from subgraphs.auth.settings import AuthSettings
from tests.subgraphs.auth.fakes import twilio_verify
from tests.subgraphs.auth.fakes.oauth import CLIENTS, FakeProviders
from tests.subgraphs.auth.fakes.smtp import SmtpServer
from tests.subgraphs.auth.fakes.twilio_verify import FakeTwilioVerify
from tests.subgraphs.auth.helpers import CHEAP_HASHING
from tests.subgraphs.auth.other_subgraph import create_other_app


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="session")
async def twilio() -> AsyncIterator[FakeTwilioVerify]:
    fake = FakeTwilioVerify()
    async with running_app(fake.app) as base:
        fake.base_url = base  # type: ignore[attr-defined]
        yield fake


@pytest.fixture(scope="session")
async def providers() -> AsyncIterator[FakeProviders]:
    fake = FakeProviders()
    async with running_app(fake.app()) as base:
        fake.base_url = base
        yield fake


@pytest.fixture(scope="session")
def auth_settings(smtp: SmtpServer, twilio: FakeTwilioVerify, providers: FakeProviders) -> AuthSettings:
    p = providers.base_url
    return AuthSettings(
        app_url="https://app.manpasik.test",
        **CHEAP_HASHING,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        twilio_verify_url=twilio.base_url,  # type: ignore[attr-defined]
        twilio_account_sid=twilio_verify.ACCOUNT_SID,
        twilio_auth_token=twilio_verify.AUTH_TOKEN,
        twilio_verify_service_sid=twilio_verify.SERVICE_SID,
        google_client_id=CLIENTS["GOOGLE"][0],
        google_client_secret=CLIENTS["GOOGLE"][1],
        google_authorize_url=f"{p}/google/auth",
        google_token_url=f"{p}/google/token",
        google_jwks_url=f"{p}/google/certs",
        kakao_client_id=CLIENTS["KAKAO"][0],
        kakao_client_secret=CLIENTS["KAKAO"][1],
        kakao_authorize_url=f"{p}/kakao/oauth/authorize",
        kakao_token_url=f"{p}/kakao/oauth/token",
        kakao_jwks_url=f"{p}/kakao/.well-known/jwks.json",
        kakao_user_url=f"{p}/kakao/v2/user/me",
        naver_client_id=CLIENTS["NAVER"][0],
        naver_client_secret=CLIENTS["NAVER"][1],
        naver_authorize_url=f"{p}/naver/oauth2.0/authorize",
        naver_token_url=f"{p}/naver/oauth2.0/token",
        naver_profile_url=f"{p}/naver/v1/nid/me",
        social_redirect_uris=["manpasik://oauth/callback", "https://app.manpasik.test/oauth/callback"],
    )


@pytest.fixture(scope="session")
async def auth_url(settings: Settings, auth_settings: AuthSettings) -> AsyncIterator[str]:
    async with running_app(create_app(settings, auth_settings)) as base:
        yield base + "/graphql"


@pytest.fixture(scope="session")
async def other_url(settings: Settings) -> AsyncIterator[str]:
    async with running_app(create_other_app(settings)) as base:
        yield base + "/graphql"
