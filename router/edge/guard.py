"""The edge's checks of one request, all before any subgraph is asked: persisted query, safelist,
introspection, depth / aliases / root fields / cost, then the rate limit of its class.

Each check's result for a document is kept with the prepared operation (`PreparedOperation.edge`), so the
hot path of a known document is a few comparisons and, with rate limits on, one Redis script call.
"""

from __future__ import annotations

import base64
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import FragmentDefinitionNode, OperationDefinitionNode

from router.defer import deferred_operation, uses_defer
from router.edge.analysis import Shape, cost_with, measure
from router.edge.apq import PersistedQueries
from router.edge.ratelimit import RateLimiter
from router.edge.safelist import load_safelist
from router.edge.settings import EdgeSettings, Rate
from router.edge.store import EdgeRedis
from router.gateway import Gateway, RequestError
from router.gateway.cache import LRU
from router.gateway.prepare import gql_error
from router.supergraph.authorization import Principal
from router.telemetry.metrics import count_refusal

log = logging.getLogger("router.edge")

PrincipalSource = Callable[[str | None], Awaitable[Principal]]


class Refused(RequestError):
    """A request the edge refuses; `headers` go on the HTTP answer (Retry-After)."""

    def __init__(
        self, errors: list[dict[str, Any]], status: int = 400, headers: dict[str, str] | None = None
    ):
        super().__init__(errors, status)
        self.headers = headers


@dataclass(frozen=True)
class Admission:
    """What the edge knows of one prepared operation."""

    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    shape: Shape
    klass: str  # auth | payment | general
    safelisted: bool
    # errors when refused whatever the variables (depth, aliases, root fields, static cost)
    refusal: list[dict[str, Any]] | None


class Edge:
    def __init__(self, settings: EdgeSettings) -> None:
        self.settings = settings
        rl = settings.rate_limits
        self.redis = EdgeRedis(rl.redis_url, rl.redis_prefix) if rl.redis_url else None
        self.safelist = load_safelist(settings.safelist.path)
        if settings.profile == "prod" and not settings.safelist.path:
            log.warning("prod profile without --safelist: any operation within the limits is run")
        self.apq = PersistedQueries(settings.apq_cache_size, self.redis, self.safelist.by_hash)
        self.limiter = RateLimiter(self.redis) if rl.enabled else None
        self.rates: dict[str, Rate] = {"auth": rl.auth, "payment": rl.payment, "general": rl.general}
        # With --verify-tokens: the token was checked before admit() runs, so its subject names the caller,
        # and who holds the safelist allowance is known.
        self.tokens_verified = False
        self.principal: PrincipalSource | None = None
        self._subjects: LRU[str, str] = LRU(10_000)
        # Refusals by error code since start (RATE_LIMITED, MAX_DEPTH_LIMIT, ...), for metrics to export.
        self.refusals: Counter[str] = Counter()
        # Documents using @defer are validated by the defer path (the API schema has no @defer).
        self._deferred: LRU[tuple[str, str | None], Admission] = LRU(500)

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()

    async def admit(
        self, gw: Gateway, params: dict[str, Any], forwarded_for: str | None, auth: str | None
    ) -> None:
        """Raises Refused (or the operation's RequestError) when the request may not run; resolves a
        persisted query into `params["query"]`."""
        try:
            await self._admit(gw, params, forwarded_for, auth)
        except RequestError as exc:
            for err in exc.errors:
                self.refusals[str(err.get("extensions", {}).get("code"))] += 1
            raise

    async def _admit(
        self, gw: Gateway, params: dict[str, Any], forwarded_for: str | None, auth: str | None
    ) -> None:
        register: str | None = None
        ext = params.get("extensions")
        if isinstance(ext, dict) and ext.get("persistedQuery") is not None:  # (`null`: absent)
            if not self.settings.apq:
                raise Refused([gql_error("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")])
            params["query"], register = await self.apq.resolve(params.get("query"), ext["persistedQuery"])
        query, name = params.get("query"), params.get("operationName")
        if not isinstance(query, str) or not query:
            return  # the gateway answers that
        op_name = name if isinstance(name, str) else None
        adm = self._deferred_admission(gw, query, op_name) if uses_defer(query) else None
        if adm is None:
            prep = gw.operations.prepare(query, op_name)
            adm = prep.edge
            if adm is None:
                adm = prep.edge = self._admission(gw, prep.operation, prep.fragments)
        if adm.refusal is not None:
            raise Refused(adm.refusal)
        s = self.settings
        if (adm.shape.introspection and not s.introspection) or (s.safelist.enforce and not adm.safelisted):
            await self._allowance(adm, auth)
        if adm.shape.variable_cost:
            self._check_cost(gw, adm, params.get("variables"))
        if self.limiter is not None:
            await self._rate_limit(adm.klass, forwarded_for, auth)
        if register is not None:
            await self.apq.register(register, query)

    # -- per document --------------------------------------------------------------------------------------
    def _deferred_admission(self, gw: Gateway, query: str, name: str | None) -> Admission:
        key = (query, name)
        adm = self._deferred.get(key)
        if adm is None:
            op, fragments = deferred_operation(gw, query, name)
            adm = self._admission(gw, op, fragments)
            self._deferred.put(key, adm)
        return adm

    def _admission(
        self, gw: Gateway, op: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
    ) -> Admission:
        lim = self.settings.limits
        shape = measure(gw.supergraph.api_schema, op, fragments, lim.default_list_size)
        refusal: list[dict[str, Any]] | None = None
        if shape.depth > lim.max_depth:
            refusal = [
                gql_error(f"The operation is more than {lim.max_depth} levels deep.", "MAX_DEPTH_LIMIT")
            ]
        elif shape.aliases > lim.max_aliases:
            refusal = [
                gql_error(f"The operation has more than {lim.max_aliases} aliases.", "MAX_ALIASES_LIMIT")
            ]
        elif shape.root_fields > lim.max_root_fields:
            message = f"The operation selects more than {lim.max_root_fields} root fields."
            refusal = [gql_error(message, "MAX_ROOT_FIELDS_LIMIT")]
        elif not shape.variable_cost and shape.static_cost > lim.max_cost:
            refusal = _cost_refusal(shape.static_cost, lim.max_cost).errors
        klass = self._class(gw, op.operation.value, shape)
        return Admission(op, fragments, shape, klass, shape.canonical in self.safelist, refusal)

    def _class(self, gw: Gateway, operation_type: str, shape: Shape) -> str:
        if operation_type != "mutation":
            return "general"
        sg, rl = gw.supergraph, self.settings.rate_limits
        root = sg.root_types.get("mutation", "")
        owners = {
            sg.graphs[g].name
            for f in shape.root_field_names
            for g in sg.field_graphs(root, f)
            if g in sg.graphs
        }
        # The strictest class any of its root fields belongs to.
        if owners & rl.payment_subgraphs:
            return "payment"
        if owners & rl.auth_subgraphs:
            return "auth"
        return "general"

    # -- per request ---------------------------------------------------------------------------------------
    async def _allowance(self, adm: Admission, auth: str | None) -> None:
        """Introspection in prod and operations outside the safelist: only for the allowance's scopes."""
        allowed = self.settings.safelist.allowed_scopes
        if self.principal is not None and auth and allowed:
            who = await self.principal(auth)
            if who.authenticated and who.scopes & allowed:
                return
        if adm.shape.introspection and not self.settings.introspection:
            raise _refused("Introspection is disabled.", "INTROSPECTION_DISABLED")
        raise _refused(
            "This operation is not in the safelist; this router runs only the app's registered operations.",
            "OPERATION_NOT_IN_SAFELIST",
        )

    def _check_cost(self, gw: Gateway, adm: Admission, variables: Any) -> None:
        lim = self.settings.limits
        values = variables if isinstance(variables, dict) else {}
        cost = cost_with(
            gw.supergraph.api_schema, adm.operation, adm.fragments, lim.default_list_size, values
        )
        if cost > lim.max_cost:
            raise _cost_refusal(cost, lim.max_cost)

    async def _rate_limit(self, klass: str, forwarded_for: str | None, auth: str | None) -> None:
        assert self.limiter is not None
        subject = self._subject(auth) if self.tokens_verified and auth else None
        caller = f"u:{subject}" if subject else f"a:{self.client_address(forwarded_for)}"
        refusal = await self.limiter.take(klass, caller, self.rates[klass])
        if refusal is None:
            return
        count_refusal(klass)
        retry = round(refusal.retry_after_s, 3)
        err = gql_error(f"Too many {klass} requests; retry after {retry} s.", "RATE_LIMITED")
        err["extensions"]["retryAfter"] = retry
        raise Refused([err], status=429, headers={"Retry-After": refusal.header})

    def client_address(self, forwarded_for: str | None) -> str:
        """The address `trusted_proxies` entries left of the one the router appended to X-Forwarded-For."""
        if not forwarded_for:
            return "unknown"
        hops = [h.strip() for h in forwarded_for.split(",")]
        index = max(0, len(hops) - 1 - self.settings.rate_limits.trusted_proxies)
        return hops[index] or "unknown"

    def _subject(self, authorization: str) -> str | None:
        """The `sub` of a token the edge already verified (read, not verified again)."""
        hit = self._subjects.get(authorization)
        if hit is None:
            hit = _jwt_subject(authorization) or ""
            self._subjects.put(authorization, hit)
        return hit or None


def _jwt_subject(authorization: str) -> str | None:
    token = authorization.partition(" ")[2] or authorization
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return sub if isinstance(sub, str) and sub else None


def _refused(message: str, code: str) -> Refused:
    return Refused([gql_error(message, code)])


def _cost_refusal(cost: int, limit: int) -> Refused:
    err = gql_error(
        f"The operation's estimated cost {cost} exceeds the limit {limit}.", "COST_ESTIMATED_TOO_EXPENSIVE"
    )
    err["extensions"].update({"cost": cost, "maxCost": limit})
    return Refused([err])
