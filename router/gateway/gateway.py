"""One GraphQL request through the router: prepare (cached), coerce variables, execute, shape."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from graphql import GraphQLError, execute
from graphql.execution.values import get_variable_values

from router.executor import PlanExecutor, Transport
from router.executor.merge import objects_with_paths
from router.executor.shape import compile_shaper
from router.gateway.credential import HEADER as CREDENTIAL_HEADER
from router.gateway.credential import SubgraphCredential
from router.gateway.prepare import OperationCache, PreparedOperation, RequestError, gql_error
from router.planner.plan import QueryPlan
from router.supergraph.authorization import ANONYMOUS, Principal
from router.supergraph.model import Supergraph

# Who sends a request, from its Authorization header (None when absent); handed in by the router's starter.
PrincipalSource = Callable[[str | None], Awaitable[Principal]]

FORWARDED_HEADERS = ("authorization", "accept-language", "traceparent", "x-request-id", "x-forwarded-for")


class Gateway:
    def __init__(
        self,
        supergraph: Supergraph,
        transport: Transport,
        cache_size: int = 1000,
        principal: PrincipalSource | None = None,
        credential: SubgraphCredential | None = None,
    ) -> None:
        """`principal`: enforces the supergraph's @authenticated/@requiresScopes/@policy with the scopes of
        the request's verified token; without it they are left to the subgraphs. `credential`: signs every
        subgraph request (router.gateway.credential), so subgraphs believe the headers the router sets."""
        self.supergraph = supergraph
        self.transport = transport
        self.principal = principal
        self.credential = credential
        self.operations = OperationCache(supergraph, cache_size)
        self.executor = PlanExecutor(supergraph, transport)

    def forwarded_headers(self, incoming: Any) -> dict[str, str]:
        out = {"content-type": "application/json", "accept": "application/json"}
        for h in FORWARDED_HEADERS:
            v = incoming.get(h)
            if v:
                out[h] = v
        if "x-request-id" not in out:
            out["x-request-id"] = uuid.uuid4().hex
        if self.credential is not None:
            out[CREDENTIAL_HEADER] = self.credential.value()
        return out

    def coerce_variables(self, prep: PreparedOperation, raw: Any) -> dict[str, Any]:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise RequestError([gql_error("Variables must be provided as a JSON object.", "BAD_USER_INPUT")])
        defs = prep.operation.variable_definitions
        if not defs:
            return raw
        coerced = get_variable_values(self.supergraph.api_schema, defs, raw)
        if isinstance(coerced, list):
            raise RequestError([_var_error(e) for e in coerced])
        # Subgraphs get the client's raw values (they coerce themselves). Defaults of omitted variables are
        # added: @skip/@include and the plan cache read them (`$x: Boolean = true` sent without `x` is true).
        values = {k: raw[k] for k in raw if k in prep.variable_defs}
        if len(values) < len(prep.variable_defs):
            defaults = coerced.coerced
            for k in prep.variable_defs:
                if k not in values and k in defaults:
                    values[k] = defaults[k]
        return values

    async def execute(
        self, query: Any, variables: Any, operation_name: Any, headers: Any, allow_mutation: bool = True
    ) -> tuple[int, bytes]:
        try:
            result = await self.execute_dict(query, variables, operation_name, headers, allow_mutation)
        except RequestError as exc:
            return exc.status, orjson.dumps({"errors": exc.errors})
        return 200, orjson.dumps(result)

    async def execute_dict(
        self,
        query: Any,
        variables: Any,
        operation_name: Any,
        headers: Any,
        allow_mutation: bool = True,
        allow_subscription: bool = False,
    ) -> dict[str, Any]:
        if not isinstance(query, str) or not query:
            raise RequestError(
                [gql_error("GraphQL operations must contain a non-empty `query`.", "BAD_REQUEST")]
            )
        if operation_name is not None and not isinstance(operation_name, str):
            raise RequestError([gql_error("`operationName` must be a string.", "BAD_REQUEST")])
        prep = self.operations.prepare(query, operation_name)
        if prep.operation_type == "mutation" and not allow_mutation:
            raise RequestError([gql_error("Mutations are not allowed over GET.", "BAD_REQUEST")], status=405)
        if prep.operation_type == "subscription" and not allow_subscription:
            raise RequestError(
                [gql_error("Subscriptions need WebSocket, SSE or multipart transport.", "BAD_REQUEST")]
            )
        values = self.coerce_variables(prep, variables)
        principal: Principal | None = None
        if self.principal is not None and self.operations.requirements(prep, values):
            principal = await self.principal(headers.get("authorization"))
        plan = self.operations.plan(prep, values, principal)
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        if prep.introspection_doc is not None:
            self.introspect(prep, values, data, errors)
        await self.executor.run(plan, values, self.forwarded_headers(headers), data, errors)
        if plan.removed:
            unauthorized(plan, data, errors)
        if plan.shaper is None:
            plan.shaper = compile_shaper(plan.root_type, plan.fields)
        out = plan.shaper(data, errors)
        return {"errors": errors, "data": out} if errors else {"data": out}

    def introspect(
        self,
        prep: PreparedOperation,
        values: dict[str, Any],
        data: dict[str, Any],
        errors: list[dict[str, Any]],
    ) -> None:
        assert prep.introspection_doc is not None
        res = execute(self.supergraph.api_schema, prep.introspection_doc, variable_values=values)
        if res.data:  # type: ignore[union-attr]
            data.update(res.data)  # type: ignore[union-attr]
        for e in res.errors or ():  # type: ignore[union-attr]
            errors.append(dict(e.formatted))


def unauthorized(plan: QueryPlan, data: dict[str, Any], errors: list[dict[str, Any]]) -> None:
    """One error per place a field cut for authorization would have had a value (Apollo Router's code)."""
    for r in plan.removed:
        for path, obj in objects_with_paths(data, r.path):
            if r.parent_type is None or obj.get("__typename") == r.parent_type:
                errors.append(
                    {
                        "message": "Unauthorized field or type",
                        "path": [*path, r.key],
                        "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"},
                    }
                )


async def anonymous(_authorization: str | None) -> Principal:
    return ANONYMOUS


def _var_error(e: GraphQLError) -> dict[str, Any]:
    locs = [{"line": loc.line, "column": loc.column} for loc in e.locations or ()]
    return gql_error(e.message, "BAD_USER_INPUT", locs or None)
