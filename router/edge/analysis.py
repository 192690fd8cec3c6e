"""What an operation asks for, measured once per prepared document: depth, aliases, root fields, a static
cost, whether it introspects, which rate-limit class it is in, and its canonical text (for the safelist).

Fragments are expanded where they are spread: each fragment is measured once (memoised), so a fragment
spread a thousand times costs one walk, and a deep chain of spreads counts its full depth. Validation
already refuses fragment cycles; a cycle met here anyway is refused as too deep rather than followed.

Cost model (static, documented in docs/ROUTER.md): a field returning an object, interface or union costs 1,
a leaf 0; a field with a size argument (`first`, `last`, `limit`) multiplies its own cost and its
selection's by that argument (a literal, the variable's value, or the argument's default); a list field
without one multiplies by `default_list_size` — unless its parent field had a size argument (a
connection's `edges`/`nodes`: the page size already counted them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    print_ast,
)
from graphql.type.definition import GraphQLInterfaceType, GraphQLObjectType

SIZE_ARGUMENTS = ("first", "last", "limit")
INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


class TooDeep(Exception):
    """A fragment met again inside itself (validation refuses cycles; never followed here)."""


@dataclass(frozen=True)
class Shape:
    depth: int
    aliases: int
    root_fields: int
    introspection: bool
    root_field_names: tuple[str, ...]
    canonical: str
    variable_cost: bool  # the cost depends on variables (a size argument is a variable)
    static_cost: int  # the cost when it does not


def measure(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    default_list_size: int,
) -> Shape:
    walker = _Walker(schema, fragments, default_list_size, None)
    root = schema.get_root_type(operation.operation)
    try:
        depth, aliases = walker.depth_and_aliases(operation.selection_set, top=True)
    except TooDeep:
        depth, aliases = 1 << 30, 0
    names = walker.root_names(operation.selection_set)
    counted = tuple(n for n in names if n != "__typename" and n not in INTROSPECTION_ROOTS)
    cost = walker.cost(operation.selection_set, root, sized=False, top=True) if root else 0
    return Shape(
        depth=depth,
        aliases=aliases,
        root_fields=len(counted),
        introspection=any(n in INTROSPECTION_ROOTS for n in names),
        root_field_names=tuple(dict.fromkeys(counted)),
        canonical=canonical_text(operation, fragments),
        variable_cost=walker.saw_variable_size,
        static_cost=cost,
    )


def cost_with(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    default_list_size: int,
    variables: Mapping[str, Any],
) -> int:
    root = schema.get_root_type(operation.operation)
    walker = _Walker(schema, fragments, default_list_size, variables)
    return walker.cost(operation.selection_set, root, sized=False, top=True) if root else 0


def canonical_text(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> str:
    """The operation and the fragments it uses (sorted by name), printed: whitespace, comments and other
    operations of the document do not matter."""
    used: dict[str, FragmentDefinitionNode] = {}
    pending = [operation.selection_set]
    while pending:
        for sel in pending.pop().selections:
            if isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                if name not in used and name in fragments:
                    used[name] = fragments[name]
                    pending.append(fragments[name].selection_set)
            elif isinstance(sel, (FieldNode, InlineFragmentNode)) and sel.selection_set is not None:
                pending.append(sel.selection_set)
    doc = DocumentNode(definitions=(operation, *(used[n] for n in sorted(used))))
    return print_ast(doc)


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        default_list_size: int,
        variables: Mapping[str, Any] | None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.default_list_size = default_list_size
        self.variables = variables
        self.saw_variable_size = False
        self._shape_memo: dict[str, tuple[int, int]] = {}
        self._cost_memo: dict[tuple[str, bool], int] = {}
        self._open: set[str] = set()

    def _fragment(self, name: str) -> FragmentDefinitionNode | None:
        return self.fragments.get(name)

    def depth_and_aliases(self, sel: SelectionSetNode, top: bool = False) -> tuple[int, int]:
        depth = aliases = 0
        for s in sel.selections:
            if isinstance(s, FieldNode):
                name = s.name.value
                if s.alias is not None:
                    aliases += 1
                if name == "__typename" or (top and name in INTROSPECTION_ROOTS):
                    continue
                d, a = self.depth_and_aliases(s.selection_set) if s.selection_set else (0, 0)
                depth, aliases = max(depth, d + 1), aliases + a
            elif isinstance(s, InlineFragmentNode):
                d, a = self.depth_and_aliases(s.selection_set, top)
                depth, aliases = max(depth, d), aliases + a
            elif isinstance(s, FragmentSpreadNode):
                d, a = self._spread_shape(s.name.value, top)
                depth, aliases = max(depth, d), aliases + a
        return depth, aliases

    def _spread_shape(self, name: str, top: bool) -> tuple[int, int]:
        hit = self._shape_memo.get(name)
        if hit is not None and not top:
            return hit
        frag = self._fragment(name)
        if frag is None:
            return 0, 0
        if name in self._open:
            raise TooDeep(name)
        self._open.add(name)
        try:
            shape = self.depth_and_aliases(frag.selection_set, top)
        finally:
            self._open.discard(name)
        if not top:
            self._shape_memo[name] = shape
        return shape

    def root_names(self, sel: SelectionSetNode, seen: frozenset[str] = frozenset()) -> list[str]:
        out: list[str] = []
        for s in sel.selections:
            if isinstance(s, FieldNode):
                out.append(s.name.value)
            elif isinstance(s, InlineFragmentNode):
                out += self.root_names(s.selection_set, seen)
            elif isinstance(s, FragmentSpreadNode) and s.name.value not in seen:
                frag = self._fragment(s.name.value)
                if frag is not None:
                    out += self.root_names(frag.selection_set, seen | {s.name.value})
        return out

    def cost(self, sel: SelectionSetNode, parent: Any, sized: bool, top: bool = False) -> int:
        total = 0
        for s in sel.selections:
            if isinstance(s, FieldNode):
                name = s.name.value
                if name == "__typename" or (top and name in INTROSPECTION_ROOTS):
                    continue
                fdef = _field(parent, name)
                if fdef is None:
                    continue
                nullable = get_nullable_type(fdef.type)
                named = get_named_type(fdef.type)
                size = self._size(s, fdef)
                if size is not None:
                    mult = size
                elif is_list_type(nullable) and not sized:
                    mult = self.default_list_size
                else:
                    mult = 1
                own = 1 if is_composite_type(named) else 0
                child = self.cost(s.selection_set, named, size is not None) if s.selection_set else 0
                total += mult * (own + child)
            elif isinstance(s, InlineFragmentNode):
                cond = self.schema.get_type(s.type_condition.name.value) if s.type_condition else parent
                total += self.cost(s.selection_set, cond, sized, top)
            elif isinstance(s, FragmentSpreadNode):
                total += self._spread_cost(s.name.value, sized, top)
        return total

    def _spread_cost(self, name: str, sized: bool, top: bool) -> int:
        key = (name, sized)
        hit = self._cost_memo.get(key)
        if hit is not None:
            return hit
        frag = self._fragment(name)
        if frag is None or name in self._open:
            return 0
        self._open.add(name)
        try:
            cost = self.cost(
                frag.selection_set, self.schema.get_type(frag.type_condition.name.value), sized, top
            )
        finally:
            self._open.discard(name)
        self._cost_memo[key] = cost
        return cost

    def _size(self, node: FieldNode, fdef: GraphQLField) -> int | None:
        for arg in node.arguments or ():
            if arg.name.value not in SIZE_ARGUMENTS:
                continue
            value = arg.value
            if isinstance(value, IntValueNode):
                return max(0, int(value.value))
            if isinstance(value, VariableNode):
                self.saw_variable_size = True
                given = (self.variables or {}).get(value.name.value)
                if isinstance(given, int) and not isinstance(given, bool):
                    return max(0, given)
                return self._default_size(arg.name.value, fdef)
        for name in SIZE_ARGUMENTS:
            if name in fdef.args:
                return self._default_size(name, fdef)
        return None

    def _default_size(self, name: str, fdef: GraphQLField) -> int:
        arg = fdef.args.get(name)
        default = arg.default_value if arg is not None else None
        if not isinstance(default, int) and arg is not None and arg.ast_node is not None:
            # The supergraph's API schema keeps defaults only in its AST.
            node = arg.ast_node.default_value
            default = int(node.value) if isinstance(node, IntValueNode) else None
        return (
            max(0, default)
            if isinstance(default, int) and not isinstance(default, bool)
            else self.default_list_size
        )


def _field(parent: Any, name: str) -> GraphQLField | None:
    if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
        f: GraphQLField | None = parent.fields.get(name)
        return f
    return None
