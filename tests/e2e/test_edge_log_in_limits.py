"""The seed's log-in limit at the router's edge, with the real auth subgraph: 12 simultaneous `LogIn`s from
one address and 12 `StartTotpEnrollment`s of one user from 12 addresses each let 5 through (auth mutations:
5/s, bursts of 5); the others are 429 RATE_LIMITED with a retry-after and never reach the subgraph."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from libs.config import Settings
from libs.testing import running_app
from libs.testing.graphql import gql
from libs.testing.operations import contract_operation
from libs.testing.router import router_process
from manpasik.registry import subgraph

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="module")
async def auth_url(settings: Settings) -> AsyncIterator[str]:
    row = subgraph("auth")
    async with running_app(row.create_app(settings, row.own())) as base:
        yield base + "/graphql"


async def _all_at_once(url: str, query: str, variables: Any, headers: list[dict[str, str]]) -> list[Any]:
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(h: dict[str, str]) -> tuple[int, Any, str | None]:
            r = await client.post(url, json={"query": query, "variables": variables}, headers=h)
            return r.status_code, r.json(), r.headers.get("retry-after")

        return await asyncio.gather(*(one(h) for h in headers))


def _check(results: list[Any]) -> list[Any]:
    passed = [p for s, p, _ in results if s == 200]
    for status, payload, retry_after in results:
        if status != 200:
            err = payload["errors"][0]
            assert (status, err["extensions"]["code"], retry_after) == (429, "RATE_LIMITED", "1"), payload
            assert 0 < err["extensions"]["retryAfter"] <= 1
    assert len(passed) == 5, [s for s, _, _ in results]
    return passed


async def test_concurrent_log_ins_from_one_address_and_one_user(auth_url: str, settings: Settings) -> None:
    email = f"edge-{secrets.token_hex(4)}@example.com"
    signed_up = await gql(  # straight to the subgraph: the router's buckets stay full
        auth_url,
        contract_operation("SignUp"),
        {"input": {"email": email, "password": PASSWORD, "displayName": "Edge", "locale": "ko-KR"}},
    )
    token = signed_up["data"]["signUp"]["tokens"]["accessToken"]
    args = [
        "--rate-limits",
        "on",
        "--redis-prefix",
        f"edge-{secrets.token_hex(4)}:",
        "--trusted-proxies",
        "1",
    ]
    async with AsyncExitStack() as stack:
        base = await stack.enter_async_context(router_process({"auth": auth_url}, settings, args=args))
        url = base + "/graphql"
        log_in = {"input": {"email": email, "password": PASSWORD}}
        results = await _all_at_once(
            url, contract_operation("LogIn"), log_in, [{"x-forwarded-for": "203.0.113.7"}] * 12
        )
        for payload in _check(results):
            assert payload["data"]["logIn"]["__typename"] == "AuthSuccess"
        # One user, twelve addresses: the user's bucket.
        headers = [
            {"authorization": f"Bearer {token}", "x-forwarded-for": f"198.51.100.{i}"} for i in range(12)
        ]
        results = await _all_at_once(url, contract_operation("StartTotpEnrollment"), None, headers)
        for payload in _check(results):
            assert payload["data"]["startTotpEnrollment"]["secret"]
