"""A small GraphQL-over-HTTP client for tests and scripts."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from libs.graphql.router_credential import HEADER, sign

# This test run's router-to-subgraph secret (tests/conftest.py puts it in `settings`, the router process gets
# it too): a test that stands in for the router signs its requests with it (`from_router`).
ROUTER_SECRET = secrets.token_urlsafe(32)


def from_router(headers: dict[str, str] | None = None, secret: str = ROUTER_SECRET) -> dict[str, str]:
    """`headers` plus the router's signature, so a subgraph believes X-Forwarded-For and X-Request-Id."""
    return {**(headers or {}), HEADER: sign(secret)}


async def gql(
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    client: httpx.AsyncClient | None = None,
) -> dict[str, Any]:
    """POSTs one operation to `url` (…/graphql) and returns the decoded response body."""
    h = {"content-type": "application/json", **(headers or {})}
    if token:
        h["authorization"] = f"Bearer {token}"
    body = {"query": query, "variables": variables or {}}
    if client is not None:
        r = await client.post(url, json=body, headers=h)
    else:
        async with httpx.AsyncClient(timeout=30) as c:
            r = await c.post(url, json=body, headers=h)
    result: dict[str, Any] = r.json()
    return result


def error_codes(result: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code", "") for e in result.get("errors") or []]
