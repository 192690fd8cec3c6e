"""X-Forwarded-For is the router's to set: a subgraph believes it only with the router's signature, so a
caller who reaches the auth subgraph directly cannot rotate it to escape the per-address log-in limit."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator

import pytest

from libs.config import Settings
from libs.graphql.router_credential import HEADER, RouterCredential, sign
from libs.testing import running_app
from libs.testing.graphql import ROUTER_SECRET, error_codes
from subgraphs.auth.app import create_app
from subgraphs.auth.settings import AuthSettings
from tests.subgraphs.auth.helpers import log_in, random_ip, sign_up, unique_email


@pytest.fixture
async def lone_auth(settings: Settings, auth_settings: AuthSettings) -> AsyncIterator[str]:
    """An auth subgraph with its own Redis prefix: the failures counted against 127.0.0.1 here stay here."""
    own = settings.model_copy(update={"redis_prefix": f"{settings.redis_prefix}xff{secrets.token_hex(3)}:"})
    async with running_app(create_app(own, auth_settings)) as base:
        yield base + "/graphql"


async def spray(url: str, headers: dict[str, str] | None = None) -> list[list[str]]:
    """20 failed log-ins (the per-address limit), each to another account, each claiming another address."""
    answers = []
    for _ in range(20):
        h = {"x-forwarded-for": random_ip(), **(headers or {})}
        answers.append(error_codes(await log_in(url, unique_email("spray"), "Password2024!", raw_headers=h)))
    return answers


async def test_a_direct_caller_rotating_x_forwarded_for_is_still_limited_by_its_own_address(
    lone_auth: str,
) -> None:
    assert await spray(lone_auth) == [["UNAUTHENTICATED"]] * 20  # unsigned: every one counts for 127.0.0.1
    victim = await sign_up(lone_auth)
    email = victim["user"]["email"]
    refused = await log_in(lone_auth, email, raw_headers={"x-forwarded-for": random_ip()})
    assert error_codes(refused) == ["RATE_LIMITED"], refused
    forged = {"x-forwarded-for": random_ip(), HEADER: sign("not-the-router-secret-" + "x" * 20)}
    assert error_codes(await log_in(lone_auth, email, raw_headers=forged)) == ["RATE_LIMITED"]
    stale = {"x-forwarded-for": random_ip(), HEADER: sign(ROUTER_SECRET, time.time() - 120)}  # replayed late
    assert error_codes(await log_in(lone_auth, email, raw_headers=stale)) == ["RATE_LIMITED"]
    # The router's signature makes the address it appended count: that user, from elsewhere, gets in.
    ok = await log_in(lone_auth, email)
    assert ok["data"]["logIn"]["__typename"] == "AuthSuccess", ok


def test_the_signature_is_checked_in_full() -> None:
    secret = "s" * 40
    credential = RouterCredential(secret)
    now = time.time()
    good = sign(secret, now)
    assert credential.valid(good, now) and credential.valid(good, now + 59)
    assert not credential.valid(good, now + 61)  # too old
    assert not credential.valid(sign(secret, now + 120), now)  # from the future
    version, ts, mac = good.split(".")
    assert not credential.valid(f"{version}.{int(ts) + 1}.{mac}", now)  # another time, same MAC
    flipped = mac[:-1] + ("1" if mac[-1] == "0" else "0")
    assert not credential.valid(f"{version}.{ts}.{flipped}", now)
    assert not credential.valid(f"v2.{ts}.{mac}", now)
    assert not credential.valid("", now) and not credential.valid("garbage", now)
    assert not RouterCredential(None).valid(good, now)  # no secret configured: nobody is the router


def test_what_the_router_signs_is_what_subgraphs_accept() -> None:
    """Two implementations (the router imports nothing of ours): they must agree, byte for byte."""
    from router.gateway.credential import SubgraphCredential

    secret = secrets.token_urlsafe(32)
    value = SubgraphCredential(secret).value()
    assert RouterCredential(secret).valid(value)
    assert not RouterCredential(secret + "x").valid(value)
