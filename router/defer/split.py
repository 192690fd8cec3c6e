"""An operation with @defer split into what the router executes: the primary operation (every deferred
fragment cut out) and one operation per deferred fragment.

A deferred fragment's operation re-selects the path from the root down to the fragment (the same fields,
arguments, aliases, type conditions and @skip/@include) and inside it only the fragment's own selection, so
the existing planner makes the fragment's fields their own fetches; for a fragment under a list or an entity
that answers the same objects the primary result holds (located by their paths). Fragment spreads are inlined
(a spread may hold a @defer, and a cut operation must not carry unused fragment definitions). `@defer(if:
false)` keeps the fragment in its parent; in a mutation every fragment is kept, because re-selecting the
path of a mutation would repeat its side effects.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLDeferDirective,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    parse,
    print_ast,
    validate,
    value_from_ast_untyped,
)
from graphql.language import Visitor, visit

from router.gateway.cache import LRU
from router.gateway.prepare import RequestError, gql_error

# Stands in for a selection set left empty by cutting fragments out; removed from the results again.
PLACEHOLDER = "__deferEmpty"
_EMPTY = SelectionSetNode(selections=())
_PLACEHOLDER_FIELD = FieldNode(alias=NameNode(value=PLACEHOLDER), name=NameNode(value="__typename"))


@dataclass
class DeferredPart:
    label: str | None
    path: tuple[str, ...]  # response keys from the root to the objects the fragment applies to
    query: str = ""
    children: list[DeferredPart] = field(default_factory=list)  # @defer nested in this fragment


@dataclass
class SplitOperation:
    operation_type: str
    primary: str  # the operation without its deferred fragments (and without any @defer)
    parts: list[DeferredPart]  # the outermost deferred fragments, in document order
    placeholders: bool  # some selection set of the primary holds only PLACEHOLDER (parts always have it)
    variable_definitions: tuple[VariableDefinitionNode, ...]  # the whole operation's

    def all_parts(self) -> list[DeferredPart]:
        out: list[DeferredPart] = []
        todo = list(self.parts)
        while todo:
            p = todo.pop(0)
            out.append(p)
            todo.extend(p.children)
        return out


def defer_schema(api_schema: GraphQLSchema) -> GraphQLSchema:
    """The API schema with @defer, for validating operations that use it (the API schema itself stays
    without it, so a request without @defer is validated exactly as before)."""
    kwargs = api_schema.to_kwargs()
    kwargs["directives"] = (*api_schema.directives, GraphQLDeferDirective)
    return GraphQLSchema(**kwargs)


class DeferSplitter:
    """Splits operations, cached per (document, operation name, values of the @defer `if` arguments)."""

    def __init__(self, api_schema: GraphQLSchema, maxsize: int = 500) -> None:
        self.schema = defer_schema(api_schema)
        self.documents: LRU[tuple[bytes, str | None], _Parsed | RequestError] = LRU(maxsize)
        self.splits: LRU[tuple[bytes, str | None, tuple[Any, ...]], SplitOperation] = LRU(maxsize)

    def split(self, query: str, operation_name: str | None, variables: dict[str, Any]) -> SplitOperation:
        """Raises RequestError for an operation that does not parse or validate."""
        key = (hashlib.blake2b(query.encode(), digest_size=16).digest(), operation_name)
        parsed = self._parsed(key, query, operation_name)
        conditions = tuple(parsed.condition(d, variables) for d in parsed.defer_ifs)
        skey = (*key, conditions)
        hit = self.splits.get(skey)
        if hit is None:
            hit = _Splitter(
                parsed, {id(d): c for d, c in zip(parsed.defer_ifs, conditions, strict=True)}
            ).run()
            self.splits.put(skey, hit)
        return hit

    def operation(
        self, query: str, operation_name: str | None
    ) -> tuple[OperationDefinitionNode, dict[str, FragmentDefinitionNode]]:
        """The operation (validated with @defer) and fragments of a document; raises RequestError."""
        key = (hashlib.blake2b(query.encode(), digest_size=16).digest(), operation_name)
        parsed = self._parsed(key, query, operation_name)
        return parsed.op, parsed.fragments

    def _parsed(self, key: tuple[bytes, str | None], query: str, operation_name: str | None) -> _Parsed:
        parsed = self.documents.get(key)
        if parsed is None:
            try:
                parsed = self._parse(query, operation_name)
            except RequestError as exc:
                parsed = exc
            self.documents.put(key, parsed)
        if isinstance(parsed, RequestError):
            raise parsed
        return parsed

    def _parse(self, query: str, operation_name: str | None) -> _Parsed:
        try:
            doc = parse(query)
        except GraphQLError as err:
            raise RequestError([_error(err, "GRAPHQL_PARSE_FAILED")]) from None
        errs = validate(self.schema, doc)
        if errs:
            raise RequestError([_error(e, "GRAPHQL_VALIDATION_FAILED") for e in errs])
        ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name:
            ops = [o for o in ops if o.name and o.name.value == operation_name]
        if len(ops) != 1:
            message = (
                f'Unknown operation named "{operation_name}".'
                if operation_name
                else "Must provide operation name if query contains multiple operations."
            )
            raise RequestError([gql_error(message, "OPERATION_RESOLUTION_FAILURE")])
        frags = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
        return _Parsed(ops[0], frags)


@dataclass
class _Parsed:
    op: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    defer_ifs: list[DirectiveNode] = field(default_factory=list)  # every @defer, in document order

    def __post_init__(self) -> None:
        found = self.defer_ifs

        class V(Visitor):
            def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
                if node.name.value == "defer":
                    found.append(node)

        visit(self.op, V())
        for f in self.fragments.values():
            visit(f, V())

    def condition(self, d: DirectiveNode, variables: dict[str, Any]) -> bool:
        """Whether @defer `d` defers (its `if`, default true; an omitted variable takes its default)."""
        if self.op.operation == OperationType.MUTATION:
            return False
        arg = next((a for a in d.arguments or () if a.name.value == "if"), None)
        if arg is None:
            return True
        if isinstance(arg.value, VariableNode) and arg.value.name.value not in variables:
            name = arg.value.name.value
            vd = next((v for v in self.op.variable_definitions or () if v.variable.name.value == name), None)
            default = vd.default_value if vd is not None else None
            return default is None or value_from_ast_untyped(default) is not False
        return value_from_ast_untyped(arg.value, variables) is not False


class _Splitter:
    def __init__(self, parsed: _Parsed, conditions: dict[int, bool]) -> None:
        self.parsed = parsed
        self.conditions = conditions
        self.placeholders = False

    def run(self) -> SplitOperation:
        parts: list[DeferredPart] = []
        body = self.walk(self.parsed.op.selection_set, [], (), parts)
        op = self.parsed.op
        defs = tuple(op.variable_definitions or ())
        return SplitOperation(op.operation.value, self.operation(body), parts, self.placeholders, defs)

    def walk(
        self,
        ss: SelectionSetNode,
        chain: list[FieldNode | InlineFragmentNode],
        path: tuple[str, ...],
        parts: list[DeferredPart],
    ) -> SelectionSetNode:
        """`ss` without its deferred fragments (collected into `parts`); `chain` leads from the root to it."""
        out: list[Any] = []
        for sel in ss.selections:
            if isinstance(sel, FieldNode):
                if sel.selection_set is None:
                    out.append(sel)
                    continue
                key = sel.alias.value if sel.alias else sel.name.value
                bare = FieldNode(
                    alias=sel.alias, name=sel.name, arguments=sel.arguments, directives=sel.directives
                )
                sub = self.walk(sel.selection_set, [*chain, bare], (*path, key), parts)
                out.append(bare.__class__(**{**_fields(bare), "selection_set": sub}))
                continue
            if isinstance(sel, FragmentSpreadNode):
                frag = self.parsed.fragments[sel.name.value]
                cond: NamedTypeNode | None = frag.type_condition
                body, dirs = frag.selection_set, sel.directives
            else:
                assert isinstance(sel, InlineFragmentNode)
                cond, body, dirs = sel.type_condition, sel.selection_set, sel.directives
            defer = next((d for d in dirs or () if d.name.value == "defer"), None)
            kept = tuple(d for d in dirs or () if d.name.value != "defer")
            wrapper = InlineFragmentNode(type_condition=cond, directives=kept, selection_set=_EMPTY)
            if defer is not None and self.conditions.get(id(defer), False):
                part = DeferredPart(_label(defer), path)
                inner = [*chain, wrapper]
                sub = self.walk(body, inner, path, part.children)
                # the placeholder tells the objects the fragment applies to (its type conditions hold)
                marked = SelectionSetNode(selections=(_PLACEHOLDER_FIELD, *sub.selections))
                part.query = self.operation(_nest(inner, marked))
                parts.append(part)
                continue
            sub = self.walk(body, [*chain, wrapper], path, parts)
            out.append(InlineFragmentNode(type_condition=cond, directives=kept, selection_set=sub))
        if not out:
            self.placeholders = True
            out.append(_PLACEHOLDER_FIELD)
        return SelectionSetNode(selections=tuple(out))

    def operation(self, body: SelectionSetNode) -> str:
        used = _variables_in(body)
        op = self.parsed.op
        defs = tuple(v for v in op.variable_definitions or () if v.variable.name.value in used)
        cut = OperationDefinitionNode(
            operation=op.operation,
            name=op.name,
            variable_definitions=defs,
            directives=op.directives,
            selection_set=body,
        )
        return print_ast(DocumentNode(definitions=(cut,)))


def _nest(chain: list[FieldNode | InlineFragmentNode], body: SelectionSetNode) -> SelectionSetNode:
    cur = body
    for node in reversed(chain):
        cur = SelectionSetNode(selections=(node.__class__(**{**_fields(node), "selection_set": cur}),))
    return cur


def _fields(node: Any) -> dict[str, Any]:
    return {k: getattr(node, k) for k in node.keys if k != "loc"}


def _label(d: DirectiveNode) -> str | None:
    arg = next((a for a in d.arguments or () if a.name.value == "label"), None)
    if arg is None:
        return None
    value = value_from_ast_untyped(arg.value, {})
    return value if isinstance(value, str) else None


def _variables_in(node: Any) -> set[str]:
    names: set[str] = set()

    class V(Visitor):
        def enter_variable(self, n: VariableNode, *_: Any) -> None:
            names.add(n.name.value)

    visit(node, V())
    return names


def _error(err: GraphQLError, code: str) -> dict[str, Any]:
    locs = [{"line": loc.line, "column": loc.column} for loc in err.locations or ()]
    return gql_error(err.message, code, locs or None)
