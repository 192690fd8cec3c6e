"""The API schema: what clients see. No join__/link__ internals, nothing marked @inaccessible."""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
)

_KEEP_DIRECTIVES = {"deprecated", "specifiedBy", "oneOf"}


def _named(t: Any) -> str:
    while not isinstance(t, NamedTypeNode):
        t = t.type
    return str(t.name.value)


def build_api_schema(doc: DocumentNode, links: dict[str, str]) -> GraphQLSchema:
    internal_prefixes = tuple(f"{p}__" for p in links.values())
    inacc = links.get("inaccessible", "inaccessible")

    def hidden(node: Any) -> bool:
        return any(d.name.value == inacc for d in node.directives or ())

    def keep_dirs(node: Any) -> tuple[Any, ...]:
        return tuple(d for d in node.directives or () if d.name.value in _KEEP_DIRECTIVES)

    removed: set[str] = set()
    for defn in doc.definitions:
        if isinstance(defn, TypeDefinitionNode):
            n = defn.name.value
            if n.startswith(internal_prefixes) or hidden(defn):
                removed.add(n)
    defs: list[Any] = []
    for defn in doc.definitions:
        if isinstance(defn, DirectiveDefinitionNode):
            continue
        if isinstance(defn, SchemaDefinitionNode | SchemaExtensionNode):
            ops = tuple(o for o in defn.operation_types or () if o.type.name.value not in removed)
            defs.append(SchemaDefinitionNode(operation_types=ops, directives=()))
            continue
        if not isinstance(defn, TypeDefinitionNode) or defn.name.value in removed:
            continue
        kw: dict[str, Any] = {k: getattr(defn, k) for k in defn.keys if k != "loc"}
        kw["directives"] = keep_dirs(defn)
        if isinstance(defn, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            kw["fields"] = tuple(
                _strip_field(f, removed, hidden, keep_dirs)
                for f in defn.fields or ()
                if not hidden(f) and _named(f.type) not in removed
            )
            kw["interfaces"] = tuple(i for i in defn.interfaces or () if i.name.value not in removed)
        elif isinstance(defn, InputObjectTypeDefinitionNode):
            kw["fields"] = tuple(
                f.__class__(
                    **{**{k: getattr(f, k) for k in f.keys if k != "loc"}, "directives": keep_dirs(f)}
                )
                for f in defn.fields or ()
                if not hidden(f) and _named(f.type) not in removed
            )
        elif isinstance(defn, EnumTypeDefinitionNode):
            kw["values"] = tuple(
                v.__class__(
                    **{**{k: getattr(v, k) for k in v.keys if k != "loc"}, "directives": keep_dirs(v)}
                )
                for v in defn.values or ()
                if not hidden(v)
            )
        elif isinstance(defn, UnionTypeDefinitionNode):
            kw["types"] = tuple(t for t in defn.types or () if t.name.value not in removed)
        defs.append(defn.__class__(**kw))
    return build_ast_schema(DocumentNode(definitions=tuple(defs)), assume_valid_sdl=True)


def _strip_field(f: Any, removed: set[str], hidden: Any, keep_dirs: Any) -> Any:
    args = tuple(
        a.__class__(**{**{k: getattr(a, k) for k in a.keys if k != "loc"}, "directives": keep_dirs(a)})
        for a in f.arguments or ()
        if not hidden(a) and _named(a.type) not in removed
    )
    return f.__class__(
        **{**{k: getattr(f, k) for k in f.keys if k != "loc"}, "directives": keep_dirs(f), "arguments": args}
    )
