"""Operations of the mobile contract and small helpers shared by the auth tests."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import text

from libs.config import Settings
from libs.db.sql import create_engine
from libs.testing.graphql import from_router, gql
from subgraphs.auth.settings import AuthSettings

PASSWORD = "correct-horse-battery-42"
# Still argon2id, at a cost that spares the CPUs the tests share (production cost: AuthSettings defaults).
CHEAP_HASHING: dict[str, Any] = {"password_time_cost": 1, "password_memory_kib": 8192,
                                 "password_parallelism": 1}

SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    user { id email displayName locale roles }
    tokens { accessToken refreshToken expiresIn tokenType }
  }
}"""

LOG_IN = """
mutation LogIn($input: LogInInput!) {
  logIn(input: $input) {
    __typename
    ... on AuthSuccess { user { id email roles } tokens { accessToken refreshToken expiresIn tokenType } }
    ... on TwoFactorChallenge { challengeToken methods }
  }
}"""

ME = "query { me { id email displayName locale roles } }"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{secrets.token_hex(5)}@example.com"


async def sign_up(
    url: str, email: str | None = None, password: str = PASSWORD, **extra: Any
) -> dict[str, Any]:
    """Signs a new user up; returns `signUp` ({user, tokens})."""
    variables = {
        "input": {
            "email": email or unique_email(),
            "password": password,
            "displayName": "테스트 사용자",
            "locale": "ko-KR",
            **extra,
        }
    }
    result = await gql(url, SIGN_UP, variables)
    assert "errors" not in result, result
    data: dict[str, Any] = result["data"]["signUp"]
    return data


def random_ip() -> str:
    return "10.{}.{}.{}".format(*secrets.token_bytes(3))


async def log_in(
    url: str, email: str, password: str = PASSWORD, *, ip: str | None = None,
    raw_headers: dict[str, str] | None = None, **kw: Any
) -> dict[str, Any]:
    """Logs in from `ip` (a fresh address by default, so per-IP throttling of one test never hits another),
    as the router sends it (signed); `raw_headers`: exactly these headers instead, as a direct caller
    would."""
    headers = raw_headers if raw_headers is not None else from_router({"x-forwarded-for": ip or random_ip()})
    return await gql(url, LOG_IN, {"input": {"email": email, "password": password}}, headers=headers, **kw)


async def tokens_of(url: str, email: str, password: str = PASSWORD) -> dict[str, Any]:
    result = await log_in(url, email, password)
    assert result["data"]["logIn"]["__typename"] == "AuthSuccess", result
    tokens: dict[str, Any] = result["data"]["logIn"]["tokens"]
    return tokens


WHOAMI = "query { whoami }"


async def set_roles(settings: Settings, user_id: str, roles: str) -> None:
    """Test setup only: the first administrator cannot be granted through the API."""
    engine = create_engine(settings.sql_url(AuthSettings().database))
    try:
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE users SET roles = :r WHERE id = :u"), {"r": roles, "u": user_id})
    finally:
        await engine.dispose()


async def admin_tokens(url: str, settings: Settings) -> dict[str, Any]:
    admin = await sign_up(url)
    await set_roles(settings, admin["user"]["id"], "USER,ADMIN")
    return await tokens_of(url, admin["user"]["email"])


async def run_sql(settings: Settings, statement: str, **params: Any) -> None:
    """Test setup only: moves a stored expiry into the past, instead of waiting days for it."""
    engine = create_engine(settings.sql_url(AuthSettings().database))
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement), params)
    finally:
        await engine.dispose()
