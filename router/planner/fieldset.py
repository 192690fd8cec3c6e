"""Federation field sets (`@key(fields:)`, `@requires`, `@provides`) as small trees."""

from __future__ import annotations

from functools import lru_cache

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode, parse, print_ast

# name -> sub-tree (None for a leaf); inline fragments are flattened, which is enough for planning.
FieldSetTree = dict[str, "FieldSetTree | None"]


def _tree(ss: SelectionSetNode) -> FieldSetTree:
    out: FieldSetTree = {}
    for sel in ss.selections:
        if isinstance(sel, FieldNode):
            sub = _tree(sel.selection_set) if sel.selection_set else None
            prev = out.get(sel.name.value)
            if isinstance(prev, dict) and sub is not None:
                prev.update(sub)
            else:
                out[sel.name.value] = sub
        elif isinstance(sel, InlineFragmentNode):
            for k, v in _tree(sel.selection_set).items():
                out.setdefault(k, v)
    return out


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
