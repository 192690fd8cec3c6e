"""A subscription through the router: one upstream subscription, and for every event the rest of the
plan (fields owned by other subgraphs) executed and shaped like a query result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from router.executor.shape import compile_shaper
from router.gateway import Gateway, RequestError
from router.gateway.prepare import gql_error
from router.planner.plan import FetchNode, QueryPlan
from router.subscriptions.upstream import UpstreamClosed, UpstreamError, subscribe_upstream


def start_subscription(
    gateway: Gateway,
    session: aiohttp.ClientSession,
    query: Any,
    variables: Any,
    operation_name: Any,
    headers: Any,
    init_payload: dict[str, Any] | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Checks the request at once (client errors raise RequestError here, before any response is started)
    and returns the subscription's GraphQL results."""
    if not isinstance(query, str) or not query:
        raise RequestError([gql_error("GraphQL operations must contain a non-empty `query`.", "BAD_REQUEST")])
    prep = gateway.operations.prepare(query, operation_name if isinstance(operation_name, str) else None)
    if prep.operation_type != "subscription":
        raise RequestError([gql_error("Only subscriptions are streamed.", "BAD_REQUEST")])
    values = gateway.coerce_variables(prep, variables)
    plan = gateway.operations.plan(prep, values)
    roots = [n for n in plan.nodes if n.kind == "root"]
    if len(roots) != 1:
        raise RequestError([gql_error("A subscription must select exactly one root field.", "BAD_REQUEST")])
    if plan.shaper is None:
        plan.shaper = compile_shaper(plan.root_type, plan.fields)
    return _events(gateway, session, plan, roots[0], values, gateway.forwarded_headers(headers), init_payload)


async def _events(
    gateway: Gateway,
    session: aiohttp.ClientSession,
    plan: QueryPlan,
    root: FetchNode,
    values: dict[str, Any],
    fwd: dict[str, str],
    init_payload: dict[str, Any] | None,
) -> AsyncIterator[dict[str, Any]]:
    shaper = plan.shaper
    assert shaper is not None
    url = gateway.supergraph.graphs[root.graph].url
    payload = dict(init_payload or {})
    if "authorization" in fwd and not any(k.lower() == "authorization" for k in payload):
        payload["Authorization"] = fwd["authorization"]
    up_vars = {v: values[v] for v in root.variables if v in values}
    ws_headers = {k: v for k, v in fwd.items() if k not in ("content-type", "accept")}
    try:
        async for event in subscribe_upstream(session, url, root.query, up_vars, payload, ws_headers):
            data = event.get("data")
            errors: list[dict[str, Any]] = [
                gateway.executor.map_error(e, root, e.get("path") if isinstance(e, dict) else None)
                for e in event.get("errors") or ()
            ]
            if not isinstance(data, dict):
                yield {"errors": errors, "data": None}
                continue
            await gateway.executor.run(plan, values, fwd, data, errors, skip_root=True)
            out = shaper(data, errors)
            yield {"errors": errors, "data": out} if errors else {"data": out}
    except UpstreamError as exc:
        yield {"errors": [gateway.executor.map_error(e, root, e.get("path")) for e in exc.errors]}
    except UpstreamClosed as exc:
        yield {
            "errors": [
                {
                    "message": f'Subscription ended by subgraph "{root.service}": {exc}. Subscribe again.',
                    "extensions": {"code": "SUBSCRIPTION_UPSTREAM_CLOSED", "serviceName": root.service},
                }
            ]
        }
