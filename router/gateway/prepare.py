"""Parse + validate + plan, each done once per (document hash, operation name) and cached."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    print_ast,
    validate,
)

from router.gateway.cache import LRU
from router.planner.authorize import Removed, authorized, requirements_in
from router.planner.builder import PlanError, build_plan
from router.planner.operation import (
    NormField,
    OperationError,
    normalize_operation,
    skip_include_variables,
)
from router.planner.plan import QueryPlan
from router.supergraph.authorization import Principal, Requirement
from router.supergraph.model import Supergraph


class RequestError(Exception):
    """A client error answered without executing: parse, validation or variable errors."""

    def __init__(self, errors: list[dict[str, Any]], status: int = 400) -> None:
        super().__init__(errors[0]["message"] if errors else "request error")
        self.errors = errors
        self.status = status


def gql_error(message: str, code: str, locations: Any = None) -> dict[str, Any]:
    e: dict[str, Any] = {"message": message}
    if locations:
        e["locations"] = locations
    e["extensions"] = {"code": code}
    return e


def _from_graphql_error(err: GraphQLError, code: str) -> dict[str, Any]:
    locs = [{"line": loc.line, "column": loc.column} for loc in err.locations or ()]
    return gql_error(err.message, code, locs or None)


@dataclass
class PreparedOperation:
    document: DocumentNode
    operation: OperationDefinitionNode
    operation_type: str
    fragments: dict[str, FragmentDefinitionNode]
    variable_defs: dict[str, str]
    skip_vars: list[str]
    introspection_doc: DocumentNode | None
    plans: dict[tuple[Any, ...], QueryPlan] = field(default_factory=dict)
    # per @skip/@include key: the authorization requirements the operation meets
    requirements: dict[tuple[bool, ...], list[Requirement]] = field(default_factory=dict)
    edge: Any = None  # what router.edge measured of this document (router/edge/guard.py)


class OperationCache:
    def __init__(self, supergraph: Supergraph, maxsize: int = 1000) -> None:
        self.sg = supergraph
        self.lru: LRU[tuple[bytes, str | None], PreparedOperation | RequestError] = LRU(maxsize)

    def prepare(self, query: str, operation_name: str | None) -> PreparedOperation:
        key = (hashlib.blake2b(query.encode(), digest_size=16).digest(), operation_name)
        hit = self.lru.get(key)
        if hit is None:
            try:
                hit = self._prepare(query, operation_name)
            except RequestError as exc:
                hit = exc
            self.lru.put(key, hit)
        if isinstance(hit, RequestError):
            raise hit
        return hit

    def _prepare(self, query: str, operation_name: str | None) -> PreparedOperation:
        try:
            doc = parse(query, no_location=False)
        except GraphQLError as err:
            raise RequestError([_from_graphql_error(err, "GRAPHQL_PARSE_FAILED")]) from None
        errs = validate(self.sg.api_schema, doc)
        if errs:
            raise RequestError([_from_graphql_error(e, "GRAPHQL_VALIDATION_FAILED") for e in errs])
        ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name:
            ops = [o for o in ops if o.name and o.name.value == operation_name]
            if not ops:
                raise RequestError(
                    [
                        gql_error(
                            f'Unknown operation named "{operation_name}".', "OPERATION_RESOLUTION_FAILURE"
                        )
                    ]
                )
        elif len(ops) > 1:
            raise RequestError(
                [
                    gql_error(
                        "Must provide operation name if query contains multiple operations.",
                        "OPERATION_RESOLUTION_FAILURE",
                    )
                ]
            )
        op = ops[0]
        fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
        var_defs = {v.variable.name.value: print_ast(v) for v in op.variable_definitions or ()}
        return PreparedOperation(
            document=doc,
            operation=op,
            operation_type=op.operation.value,
            fragments=fragments,
            variable_defs=var_defs,
            skip_vars=skip_include_variables(op, fragments),
            introspection_doc=_introspection_document(doc, op),
        )

    def plan(
        self, prep: PreparedOperation, variables: dict[str, Any], principal: Principal | None = None
    ) -> QueryPlan:
        """The plan depends on the document, on the values of @skip/@include variables and, when the
        supergraph has authorization directives and `principal` is given, on which of the operation's
        requirements that principal satisfies (None: nothing is enforced at the router)."""
        skip = tuple(variables.get(v) is True for v in prep.skip_vars)
        pkey: tuple[Any, ...] = skip
        reqs = self.requirements(prep, variables) if principal is not None else []
        enforce = bool(reqs)
        if enforce:
            assert principal is not None
            pkey = (skip, tuple(principal.satisfies(r) for r in reqs))
        plan = prep.plans.get(pkey)
        if plan is None:
            fields = self._normalize(prep, variables)
            planned, removed = fields, list[Removed]()
            if enforce and principal is not None:
                planned, removed = authorized(self.sg, self._root(prep), fields, principal.satisfies)
            try:
                plan = build_plan(self.sg, prep.operation_type, planned, prep.variable_defs)
            except PlanError as exc:
                raise RequestError([gql_error(str(exc), "QUERY_PLANNING_FAILED")], status=500) from None
            plan.fields = fields  # the client's selection, unauthorized fields included (they answer null)
            plan.removed = removed
            prep.plans[pkey] = plan
        return plan

    def requirements(self, prep: PreparedOperation, variables: dict[str, Any]) -> list[Requirement]:
        """The authorization requirements of the fields this request selects (cached per @skip/@include)."""
        if not (self.sg.auth_fields or self.sg.auth_types):
            return []
        skip = tuple(variables.get(v) is True for v in prep.skip_vars)
        reqs = prep.requirements.get(skip)
        if reqs is None:
            fields = self._normalize(prep, variables)
            reqs = prep.requirements[skip] = requirements_in(self.sg, self._root(prep), fields)
        return reqs

    def _root(self, prep: PreparedOperation) -> str:
        return self.sg.root_types.get(prep.operation_type, "")

    def _normalize(self, prep: PreparedOperation, variables: dict[str, Any]) -> list[NormField]:
        try:
            return normalize_operation(self.sg.api_schema, prep.operation, prep.fragments, variables)
        except OperationError as exc:
            raise RequestError([gql_error(str(exc), "QUERY_PLANNING_FAILED")], status=500) from None


def _introspection_document(doc: DocumentNode, op: OperationDefinitionNode) -> DocumentNode | None:
    """The operation cut down to its __schema/__type root fields, executed locally."""
    meta = tuple(
        s
        for s in op.selection_set.selections
        if isinstance(s, FieldNode) and s.name.value in ("__schema", "__type")
    )
    if not meta:
        return None
    cut = OperationDefinitionNode(
        operation=op.operation,
        name=op.name,
        variable_definitions=op.variable_definitions,
        directives=op.directives,
        selection_set=SelectionSetNode(selections=meta),
    )
    others = tuple(d for d in doc.definitions if isinstance(d, FragmentDefinitionNode))
    return DocumentNode(definitions=(cut, *others))
