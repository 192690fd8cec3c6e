"""Federation field sets (`@key(fields:)`, `@requires`, `@provides`) as small trees."""

from __future__ import annotations

from functools import lru_cache

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode, parse, print_ast

# name -> sub-tree (None for a leaf); inline fragments are flattened, which is enough for keys and
# @requires names. `parse_typed_field_set` keeps type conditions as `... on T` entries instead.
FieldSetTree = dict[str, "FieldSetTree | None"]
CONDITION = "... on "


def _tree(ss: SelectionSetNode, typed: bool = False) -> FieldSetTree:
    out: FieldSetTree = {}
    for sel in ss.selections:
        if isinstance(sel, FieldNode):
            sub = _tree(sel.selection_set, typed) if sel.selection_set else None
            prev = out.get(sel.name.value)
            if isinstance(prev, dict) and sub is not None:
                prev.update(sub)
            else:
                out[sel.name.value] = sub
        elif isinstance(sel, InlineFragmentNode):
            inner = _tree(sel.selection_set, typed)
            if typed and sel.type_condition is not None:
                into = out.setdefault(CONDITION + sel.type_condition.name.value, {})
                assert into is not None
                for k, v in inner.items():
                    into.setdefault(k, v)
                continue
            for k, v in inner.items():
                out.setdefault(k, v)
    return out


@lru_cache(maxsize=1024)
def parse_typed_field_set(fields: str) -> FieldSetTree:
    """A field set whose inline fragments keep their type condition (`... on Book` -> its fields): what
    @provides gives holds only for objects of that type."""
    doc = parse("{" + fields + "}", no_location=True)
    return _tree(doc.definitions[0].selection_set, typed=True)  # type: ignore[attr-defined]


def conditions(tree: FieldSetTree) -> list[tuple[str, FieldSetTree]]:
    """The `... on T` entries of a typed field set: (T, its fields)."""
    return [(k[len(CONDITION) :], v or {}) for k, v in tree.items() if k.startswith(CONDITION)]


@lru_cache(maxsize=1024)
def parse_field_set(fields: str) -> FieldSetTree:
    doc = parse("{" + fields + "}", no_location=True)
    return _tree(doc.definitions[0].selection_set)  # type: ignore[attr-defined]


@lru_cache(maxsize=1024)
def field_set_arguments(fields: str) -> dict[str, str]:
    """Printed arguments of the top-level fields of a field set that have any (`price(currency: "USD")`)."""
    doc = parse("{" + fields + "}", no_location=True)
    out: dict[str, str] = {}
    for sel in doc.definitions[0].selection_set.selections:  # type: ignore[attr-defined]
        if isinstance(sel, FieldNode) and sel.arguments:
            out[sel.name.value] = "(" + ", ".join(print_ast(a) for a in sel.arguments) + ")"
    return out
