"""Demo accounts: seeded in dev (the embedded SQLite default), never usable in prod."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from libs.config import Settings
from libs.testing import running_app
from libs.testing.graphql import error_codes, gql
from subgraphs.auth.app import create_app
from subgraphs.auth.settings import DEMO_PASSWORD, AuthSettings
from tests.subgraphs.auth.helpers import CHEAP_HASHING, SIGN_UP, log_in

ROLES = "query { me { email roles emailVerified } }"


async def test_dev_seeds_the_demo_accounts_and_logs_them(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = Settings(
        MANPASIK_ENV="dev",
        DATA_DIR=str(tmp_path),
        REDIS_URL=settings.redis_url,
        REDIS_PREFIX=settings.redis_prefix + "dev:",
        LOG_JSON=False,
    )
    async with running_app(create_app(dev, AuthSettings(**CHEAP_HASHING))) as base:
        printed = capsys.readouterr().out  # the dev stack shows these lines at start
        url = base + "/graphql"
        seen = {}
        for email in ("admin@manpasik.dev", "support@manpasik.dev", "doctor@manpasik.dev"):
            result = await log_in(url, email, DEMO_PASSWORD)
            assert result["data"]["logIn"]["__typename"] == "AuthSuccess", result
            me = await gql(url, ROLES, token=result["data"]["logIn"]["tokens"]["accessToken"])
            seen[email] = me["data"]["me"]
    assert seen["admin@manpasik.dev"]["roles"] == ["USER", "ADMIN"]
    assert seen["support@manpasik.dev"]["roles"] == ["USER", "SUPPORT"]
    assert seen["doctor@manpasik.dev"] == {
        "email": "doctor@manpasik.dev",
        "roles": ["USER", "DOCTOR"],
        "emailVerified": True,
    }
    assert "admin@manpasik.dev" in printed and DEMO_PASSWORD in printed
    assert (tmp_path / "manpasik_auth.db").exists()


async def test_prod_never_accepts_demo_accounts(auth_url: str, settings: Settings) -> None:
    # A demo account that reached a prod database (say, from a restored dev dump) still cannot log in.
    email = "doctor@manpasik.dev"
    created = await gql(
        auth_url, SIGN_UP, {"input": {"email": email, "password": DEMO_PASSWORD, "displayName": "demo"}}
    )
    assert "errors" not in created or error_codes(created) == ["CONFLICT"]
    prod = Settings(
        MANPASIK_ENV="prod",
        DATABASE_URL=settings.database_url,
        MONGODB_URL=settings.mongodb_url,
        JWT_SECRET=settings.jwt_secret,
        DB_SUFFIX=settings.db_suffix,
        REDIS_URL=settings.redis_url,
        REDIS_PREFIX=settings.redis_prefix,
        ROUTER_SUBGRAPH_SECRET=settings.router_subgraph_secret,
        LOG_JSON=False,
    )
    prod_auth = AuthSettings(secrets_key=base64.b64encode(os.urandom(32)).decode())  # production hashing cost
    async with running_app(create_app(prod, prod_auth)) as base:
        url = base + "/graphql"
        assert error_codes(await log_in(url, email, DEMO_PASSWORD)) == ["UNAUTHENTICATED"]
        signup = await gql(
            url,
            SIGN_UP,
            {
                "input": {
                    "email": "admin2@manpasik.dev",
                    "password": "x-strong-passphrase",
                    "displayName": "x",
                }
            },
        )
        assert error_codes(signup) == ["BAD_USER_INPUT"]
