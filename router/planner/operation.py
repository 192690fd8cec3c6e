"""Normalised operation: fragments inlined, @skip/@include applied, fields grouped per concrete type.

The same tree drives both planning (which subgraph fetches what) and completion (shaping the
client's response in selection order with null propagation), so it carries the type wrappers too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_composite_type,
    print_ast,
    value_from_ast_untyped,
)
from graphql.language import Visitor, visit

# Wrapper encoding for completion: a tuple of flags from the outside in, e.g. [Int!]! -> (NN, LIST, NN).
NN = 1
LIST = 2


@dataclass
class NormField:
    key: str  # response key (alias or name)
    name: str
    args: str  # printed arguments, "" when none ("(first: 5)")
    variables: frozenset[str]
    type_name: str  # named return type
    wrappers: tuple[int, ...]
    composite: bool
    abstract: bool
    # concrete type name -> fields selected for objects of that type (composite fields only)
    sub: dict[str, list[NormField]] = field(default_factory=dict)
    directives: str = ""  # forwarded directives (other than skip/include), printed
    # API values of an enum-typed field: a subgraph may return one hidden by @inaccessible
    enum_values: frozenset[str] | None = None
    # The client's response key when the planner aliased the field in a subgraph query (`key` is then
    # the alias the merged data holds it under: its type there conflicts with a sibling's).
    out: str | None = None


def same_for_every_type(f: NormField) -> list[NormField] | None:
    """The selection of abstract `f` when it is the same for every possible type and does not ask
    `__typename`, else None: an object typed only as the interface (an @interfaceObject subgraph's answer)
    is then shaped without learning its concrete type."""
    subs = list(f.sub.values())
    if not subs:
        return None
    first = [(x.key, x.name, x.args) for x in subs[0]]
    if any(x.name == "__typename" for x in subs[0]):
        return None
    if any([(x.key, x.name, x.args) for x in s] != first for s in subs[1:]):
        return None
    return subs[0]


class OperationError(Exception):
    """An operation that validates but cannot be executed (e.g. unknown operation name)."""


def _wrappers(t: Any) -> tuple[int, ...]:
    out: list[int] = []
    while True:
        if isinstance(t, GraphQLNonNull):
            out.append(NN)
            t = t.of_type
        elif isinstance(t, GraphQLList):
            out.append(LIST)
            t = t.of_type
        else:
            return tuple(out)


class _VarCollector(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        self.names.add(node.name.value)


def _variables_in(node: Any) -> frozenset[str]:
    c = _VarCollector()
    for n in node if isinstance(node, tuple | list) else (node,):
        visit(n, c)
    return frozenset(c.names)


def skip_include_variables(
    op: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[str]:
    """Variables that drive @skip/@include: the plan depends on their values, so they key the plan cache."""
    names: set[str] = set()

    class V(Visitor):
        def enter_directive(self, node: Any, *_: Any) -> None:
            if node.name.value in ("skip", "include"):
                for a in node.arguments or ():
                    if isinstance(a.value, VariableNode):
                        names.add(a.value.name.value)

    visit(op, V())
    for f in fragments.values():
        visit(f, V())
    return sorted(names)


class Normalizer:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def included(self, node: Any) -> bool:
        for d in node.directives or ():
            n = d.name.value
            if n not in ("skip", "include"):
                continue
            arg = next((a for a in d.arguments or () if a.name.value == "if"), None)
            if arg is None:
                continue
            value = value_from_ast_untyped(arg.value, self.variables)
            if n == "skip" and value is True:
                return False
            if n == "include" and value is not True:
                return False
        return True

    def possible_types(self, type_name: str) -> list[GraphQLObjectType]:
        t = self.schema.get_type(type_name)
        if is_abstract_type(t):
            return list(self.schema.get_possible_types(t))
        return [t]  # type: ignore[list-item]

    def _applies(self, cond: str | None, concrete: GraphQLObjectType) -> bool:
        if cond is None or cond == concrete.name:
            return True
        t = self.schema.get_type(cond)
        return t is not None and is_abstract_type(t) and self.schema.is_sub_type(t, concrete)

    def collect(self, sels: list[SelectionSetNode], concrete: GraphQLObjectType) -> list[NormField]:
        grouped: dict[str, tuple[FieldNode, list[SelectionSetNode]]] = {}
        order: list[str] = []
        self._collect_into(sels, concrete, grouped, order, set())
        out: list[NormField] = []
        for key in order:
            node, subsels = grouped[key]
            out.append(self._field(node, subsels, concrete))
        return out

    def _collect_into(
        self,
        sels: list[SelectionSetNode],
        concrete: GraphQLObjectType,
        grouped: dict[str, tuple[FieldNode, list[SelectionSetNode]]],
        order: list[str],
        seen_fragments: set[str],
    ) -> None:
        for ss in sels:
            for sel in ss.selections:
                if not self.included(sel):
                    continue
                if isinstance(sel, FieldNode):
                    key = sel.alias.value if sel.alias else sel.name.value
                    if key not in grouped:
                        grouped[key] = (sel, [])
                        order.append(key)
                    if sel.selection_set is not None:
                        grouped[key][1].append(sel.selection_set)
                elif isinstance(sel, InlineFragmentNode):
                    cond = sel.type_condition.name.value if sel.type_condition else None
                    if self._applies(cond, concrete):
                        self._collect_into([sel.selection_set], concrete, grouped, order, seen_fragments)
                elif isinstance(sel, FragmentSpreadNode):
                    name = sel.name.value
                    frag = self.fragments.get(name)
                    if frag is None or name in seen_fragments:
                        continue
                    if self._applies(frag.type_condition.name.value, concrete):
                        self._collect_into(
                            [frag.selection_set], concrete, grouped, order, seen_fragments | {name}
                        )

    def _field(
        self, node: FieldNode, subsels: list[SelectionSetNode], parent: GraphQLObjectType
    ) -> NormField:
        name = node.name.value
        key = node.alias.value if node.alias else name
        args = ""
        if node.arguments:
            args = "(" + ", ".join(print_ast(a) for a in node.arguments) + ")"
        directives = " ".join(
            print_ast(d) for d in node.directives or () if d.name.value not in ("skip", "include")
        )
        if name == "__typename":
            return NormField(key, name, "", frozenset(), "String", (NN,), False, False)
        if name in ("__schema", "__type"):
            # Answered locally from the API schema; completion passes the value through.
            return NormField(key, name, args, frozenset(), "__Introspection", (), False, False)
        fdef = parent.fields.get(name)
        if fdef is None:
            raise OperationError(f'Cannot query field "{name}" on type "{parent.name}".')
        named = get_named_type(fdef.type)
        nf = NormField(
            key=key,
            name=name,
            args=args,
            variables=_variables_in(node.arguments) if node.arguments else frozenset(),
            type_name=named.name,
            wrappers=_wrappers(fdef.type),
            composite=is_composite_type(named),
            abstract=is_abstract_type(named),
            directives=directives,
            enum_values=frozenset(named.values) if isinstance(named, GraphQLEnumType) else None,
        )
        if nf.composite:
            for concrete in self.possible_types(named.name):
                nf.sub[concrete.name] = self.collect(subsels, concrete)
        return nf


def normalize_operation(
    schema: GraphQLSchema,
    op: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> list[NormField]:
    root = schema.get_root_type(op.operation)
    if root is None:
        raise OperationError(f"Schema is not configured to execute {op.operation.value} operation.")
    return Normalizer(schema, fragments, variables).collect([op.selection_set], root)
