"""Rate limits at the edge through real router processes (`manpasik router`, the platform's token check)
sharing the test run's Redis: per operation class (auth 5/s, payment 2/s, general 10/s with bursts), per
client address for anonymous requests and per user for verified ones, across router processes, and per
process when Redis does not answer. Refusals are 429 RATE_LIMITED with a retry-after and reach no subgraph."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import pytest

from libs.auth.tokens import issue_access_token
from libs.config import Settings
from libs.testing.router import router_process
from router.edge.ratelimit import LocalBuckets
from router.edge.settings import Rate
from tests.router.support.edge_router import edge_fixture_subgraphs
from tests.router.support.fixture_subgraph import FixtureSubgraph

LOG_IN = {"query": 'mutation { logIn(email: "a@x") }'}
PAY = {"query": "mutation { pay(amount: 1) }"}


def _prefix() -> str:
    return f"rl-{secrets.token_hex(4)}:"  # fresh buckets for each router group


@pytest.fixture(scope="module")
async def subgraphs() -> AsyncIterator[dict[str, FixtureSubgraph]]:
    async with edge_fixture_subgraphs() as (subs, _):
        yield subs


def _urls(subs: dict[str, FixtureSubgraph]) -> dict[str, str]:
    return {n: s.url for n, s in subs.items()}


async def _burst(
    urls: list[str], body: dict[str, Any], headers: list[dict[str, str]]
) -> list[tuple[int, Any, Any]]:
    """All at once: (status, payload, Retry-After) of each."""

    async def one(http: aiohttp.ClientSession, url: str, h: dict[str, str]) -> tuple[int, Any, Any]:
        async with http.post(url, json=body, headers=h) as r:
            return r.status, await r.json(content_type=None), r.headers.get("Retry-After")

    async with aiohttp.ClientSession() as http:
        return await asyncio.gather(*(one(http, u, h) for u, h in zip(urls, headers, strict=True)))


def _split(results: list[tuple[int, Any, Any]]) -> tuple[list[Any], list[tuple[int, Any, Any]]]:
    passed = [p for s, p, _ in results if s == 200]
    refused = [r for r in results if r[0] != 200]
    return passed, refused


def _assert_refusals(refused: list[tuple[int, Any, Any]], klass: str) -> None:
    for status, payload, retry_after in refused:
        assert status == 429
        err = payload["errors"][0]
        assert err["extensions"]["code"] == "RATE_LIMITED" and "data" not in payload
        assert 0 < err["extensions"]["retryAfter"] <= 1.0
        assert klass in err["message"]
        assert retry_after == "1"


def _log_ins(subs: dict[str, FixtureSubgraph]) -> int:
    return sum("logIn" in r["body"]["query"] for r in subs["auth"].requests)


async def test_twelve_log_ins_from_one_address_five_pass(
    subgraphs: dict[str, FixtureSubgraph], settings: Settings
) -> None:
    args = ["--rate-limits", "on", "--redis-prefix", _prefix()]
    async with router_process(_urls(subgraphs), settings, args=args) as base:
        before = _log_ins(subgraphs)
        results = await _burst([base + "/graphql"] * 12, LOG_IN, [{}] * 12)
        passed, refused = _split(results)
        assert passed == [{"data": {"logIn": "token"}}] * 5
        _assert_refusals(refused, "auth")
        assert _log_ins(subgraphs) - before == 5  # the refused ones never reached the auth subgraph
        # queries are another class: still 10/20 for this address
        more = await _burst([base + "/graphql"] * 3, {"query": "{ plans }"}, [{}] * 3)
        assert [s for s, _, _ in more] == [200] * 3
        # the bucket refills at 5/s: after the retry-after one more passes
        await asyncio.sleep(refused[0][1]["errors"][0]["extensions"]["retryAfter"] + 0.05)
        again = await _burst([base + "/graphql"], LOG_IN, [{}])
        assert again[0][0] == 200


async def test_two_router_processes_share_the_buckets(
    subgraphs: dict[str, FixtureSubgraph], settings: Settings
) -> None:
    args = ["--rate-limits", "on", "--redis-prefix", _prefix()]
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(router_process(_urls(subgraphs), settings, args=args))
        b = await stack.enter_async_context(router_process(_urls(subgraphs), settings, args=args))
        results = await _burst([a + "/graphql", b + "/graphql"] * 6, LOG_IN, [{}] * 12)
        passed, refused = _split(results)
        assert len(passed) == 5 and len(refused) == 7
        _assert_refusals(refused, "auth")
        pay = await _burst([a + "/graphql", b + "/graphql"] * 2, PAY, [{}] * 4)
        assert sorted(s for s, _, _ in pay) == [200, 200, 429, 429]  # payment: 2 at once
        # persisted queries are shared too: registered through one, found by hash through the other
        query = "{ plans }"
        ext = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}}
        [(_, payload, _)] = await _burst([b + "/graphql"], {"extensions": ext}, [{}])
        assert payload["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        await _burst([a + "/graphql"], {"query": query, "extensions": ext}, [{}])
        [(status, payload, _)] = await _burst([b + "/graphql"], {"extensions": ext}, [{}])
        assert (status, payload) == (200, {"data": {"plans": ["basic"]}})


async def test_a_verified_user_is_limited_wherever_they_connect_from(
    subgraphs: dict[str, FixtureSubgraph], settings: Settings
) -> None:
    # One load balancer in front (--trusted-proxies 1): the client is the address it appended.
    args = ["--rate-limits", "on", "--redis-prefix", _prefix(), "--trusted-proxies", "1"]
    ada, _, _ = issue_access_token(settings, "user-ada", ["USER"], "s1")
    bob, _, _ = issue_access_token(settings, "user-bob", ["USER"], "s2")
    async with router_process(_urls(subgraphs), settings, args=args) as base:
        url = base + "/graphql"
        ada_headers = [
            {"authorization": f"Bearer {ada}", "x-forwarded-for": f"10.0.0.{i}"} for i in range(12)
        ]
        bob_headers = [{"authorization": f"Bearer {bob}", "x-forwarded-for": "10.0.0.1"}] * 6
        results = await _burst([url] * 18, LOG_IN, ada_headers + bob_headers)
        ada_passed, ada_refused = _split(results[:12])
        bob_passed, _ = _split(results[12:])
        assert len(ada_passed) == 5 and len(bob_passed) == 5  # one bucket each, not one per address
        _assert_refusals(ada_refused, "auth")
        # anonymous callers are told apart by address: 10.0.0.1 (Bob's address) still has its own bucket
        anon = await _burst([url] * 6, LOG_IN, [{"x-forwarded-for": "10.0.0.1"}] * 6)
        assert sorted(s for s, _, _ in anon) == [200] * 5 + [429]


async def test_without_redis_each_process_keeps_the_limits(
    subgraphs: dict[str, FixtureSubgraph], settings: Settings
) -> None:
    args = ["--rate-limits", "on", "--redis-url", "redis://127.0.0.1:1/0"]  # nothing listens there
    async with router_process(_urls(subgraphs), settings, args=args) as base:
        results = await _burst([base + "/graphql"] * 12, LOG_IN, [{}] * 12)
        passed, refused = _split(results)
        assert len(passed) == 5
        _assert_refusals(refused, "auth")


def test_the_per_process_buckets_refill_at_the_rate() -> None:
    buckets, rate = LocalBuckets(), Rate(5, 5)
    assert [buckets.take("k", rate) for _ in range(5)] == [0.0] * 5
    wait = buckets.take("k", rate)
    assert 0.15 < wait <= 0.2  # one more every 1/5 s
    assert buckets.take("other", rate) == 0.0  # a bucket per caller
    with pytest.raises(ValueError):
        Rate.parse("0")
    assert Rate.parse("10/20") == Rate(10, 20) and Rate.parse("2") == Rate(2, 2)
