"""An operation sent over a streaming transport: checked at once, then its results one by one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from router.defer import deferred_results, uses_defer
from router.gateway import Gateway, RequestError
from router.gateway.prepare import gql_error
from router.subscriptions.source import start_subscription


async def open_results(
    gw: Gateway | None,
    session: aiohttp.ClientSession,
    payload: dict[str, Any],
    headers: Any,
    init: dict[str, Any] | None,
    allow_mutation: bool = True,
) -> AsyncIterator[dict[str, Any]]:
    """Raises RequestError for a request that cannot run (before any response is started); returns the
    results: every event of a subscription, or the one result of a query or mutation."""
    if gw is None:
        raise RequestError([gql_error("The router is not ready yet.", "NOT_READY")], status=503)
    query, name = payload.get("query"), payload.get("operationName")
    if not isinstance(query, str) or not query:
        raise RequestError([gql_error("GraphQL operations must contain a non-empty `query`.", "BAD_REQUEST")])
    if uses_defer(query):
        return await deferred_results(gw, payload, headers, allow_mutation)
    prep = gw.operations.prepare(query, name if isinstance(name, str) else None)
    if prep.operation_type == "subscription":
        return start_subscription(gw, session, query, payload.get("variables"), name, headers, init)
    result = await gw.execute_dict(query, payload.get("variables"), name, headers, allow_mutation)
    return _one(result)


async def _one(result: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    yield result
