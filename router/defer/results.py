"""The results of an operation with @defer, as the transports take them: a first payload, then incremental
ones (an operation whose fragments are all kept, e.g. `@defer(if: false)`, has one ordinary result).

Only requests whose text contains "@defer" come here (`uses_defer`), so other requests pay nothing.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from typing import Any

from graphql import FragmentDefinitionNode, GraphQLError, OperationDefinitionNode
from graphql.execution.values import get_variable_values

from router.defer.deliver import deliver
from router.defer.split import DeferSplitter, SplitOperation
from router.gateway import Gateway, RequestError
from router.gateway.prepare import gql_error

DEFER_BAD_HEADER = (
    "the router received a query with the @defer directive but the client does not accept multipart/mixed "
    "HTTP responses. To enable @defer support, add the HTTP header "
    "'Accept: multipart/mixed;deferSpec=20220824'"
)
_splitters: weakref.WeakKeyDictionary[Gateway, DeferSplitter] = weakref.WeakKeyDictionary()


def uses_defer(query: Any) -> bool:
    return isinstance(query, str) and "@defer" in query


def _splitter(gw: Gateway) -> DeferSplitter:
    s = _splitters.get(gw)
    if s is None:
        s = _splitters[gw] = DeferSplitter(gw.supergraph.api_schema)
    return s


def deferred_operation(
    gw: Gateway, query: str, operation_name: str | None
) -> tuple[OperationDefinitionNode, dict[str, FragmentDefinitionNode]]:
    """A document using @defer: its operation and fragments (validated with @defer; raises RequestError)."""
    return _splitter(gw).operation(query, operation_name)


def split_request(gw: Gateway, payload: dict[str, Any]) -> SplitOperation:
    query, name, variables = payload.get("query"), payload.get("operationName"), payload.get("variables")
    if not isinstance(query, str) or not query:
        raise RequestError([gql_error("GraphQL operations must contain a non-empty `query`.", "BAD_REQUEST")])
    if variables is not None and not isinstance(variables, dict):
        raise RequestError([gql_error("Variables must be provided as a JSON object.", "BAD_USER_INPUT")])
    split = _splitter(gw).split(query, name if isinstance(name, str) else None, variables or {})
    if split.operation_type == "subscription":
        raise RequestError([gql_error("@defer is not supported in subscriptions.", "BAD_REQUEST")])
    if split.variable_definitions:
        # every variable is checked before the first payload, also those only deferred parts use
        coerced = get_variable_values(gw.supergraph.api_schema, split.variable_definitions, variables or {})
        if isinstance(coerced, list):
            raise RequestError([_variable_error(e) for e in coerced])
    return split


async def deferred_results(
    gw: Gateway, payload: dict[str, Any], headers: Any, allow_mutation: bool = True
) -> AsyncIterator[dict[str, Any]]:
    """The payloads of an operation with @defer; raises RequestError (before any payload) if it cannot run."""
    split = split_request(gw, payload)
    variables, name = payload.get("variables"), payload.get("operationName")

    async def execute(query: str) -> dict[str, Any]:
        return await gw.execute_dict(query, variables, name, headers, allow_mutation)

    if not split.parts:
        return _one(await execute(split.primary))
    payloads = deliver(split, execute)
    try:
        first = await anext(payloads)
    except BaseException:
        await payloads.aclose()  # type: ignore[attr-defined]
        raise
    return _chain(first, payloads)


def _variable_error(e: GraphQLError) -> dict[str, Any]:
    locs = [{"line": loc.line, "column": loc.column} for loc in e.locations or ()]
    return gql_error(e.message, "BAD_USER_INPUT", locs or None)


async def _one(result: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    yield result


async def _chain(first: dict[str, Any], rest: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    try:
        yield first
        async for p in rest:
            yield p
    finally:
        aclose = getattr(rest, "aclose", None)
        if aclose is not None:
            await aclose()
