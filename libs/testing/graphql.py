"""A small GraphQL-over-HTTP client for tests and scripts."""

from __future__ import annotations

from typing import Any

import httpx


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
