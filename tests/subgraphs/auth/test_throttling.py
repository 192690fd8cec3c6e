"""Brute-force defence: failed log-ins throttled per account and per IP, with growing delays, and the same
answer whether or not the account exists."""

from __future__ import annotations

import asyncio

from libs.testing.graphql import error_codes
from tests.subgraphs.auth.helpers import log_in, random_ip, sign_up, unique_email


async def test_per_account_throttling_with_growing_delays(auth_url: str) -> None:
    email = (await sign_up(auth_url))["user"]["email"]
    for _ in range(5):  # each from a different address: the account limit is what trips
        assert error_codes(await log_in(auth_url, email, "wrong-password-1")) == ["UNAUTHENTICATED"]
    blocked = await log_in(auth_url, email)  # even the right password waits
    assert error_codes(blocked) == ["RATE_LIMITED"]
    first_wait = blocked["errors"][0]["extensions"]["retryAfter"]
    assert 0 < first_wait <= 2

    await asyncio.sleep(first_wait + 0.1)
    assert error_codes(await log_in(auth_url, email, "wrong-password-1")) == ["UNAUTHENTICATED"]
    second = await log_in(auth_url, email)
    assert error_codes(second) == ["RATE_LIMITED"]
    assert second["errors"][0]["extensions"]["retryAfter"] > first_wait  # the delay doubled


async def test_unknown_email_is_throttled_exactly_like_a_known_one(auth_url: str) -> None:
    ghost = unique_email("ghost")
    answers = [error_codes(await log_in(auth_url, ghost, "wrong-password-1")) for _ in range(6)]
    assert answers == [["UNAUTHENTICATED"]] * 5 + [["RATE_LIMITED"]]


async def test_per_ip_throttling(auth_url: str) -> None:
    attacker = random_ip()
    for _ in range(20):  # one address, many accounts: each account stays under its own limit
        result = await log_in(auth_url, unique_email("spray"), "Password2024!", ip=attacker)
        assert error_codes(result) == ["UNAUTHENTICATED"]
    victim = await sign_up(auth_url)
    assert error_codes(await log_in(auth_url, victim["user"]["email"], ip=attacker)) == ["RATE_LIMITED"]
    ok = await log_in(auth_url, victim["user"]["email"], ip=random_ip())
    assert ok["data"]["logIn"]["__typename"] == "AuthSuccess"
