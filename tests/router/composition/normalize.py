"""Normal forms of a Federation v2 supergraph SDL, to compare supergraphs made by different composers.

`api_schema(sdl)` removes what clients never see (link/join machinery, @inaccessible elements) without
using the router's own loader. `join_facts(sdl)` lists every join__* fact (and every other directive the
supergraph applies, @tag included) as order-free tuples keyed by subgraph name (graph enum names may
differ), with the defaults made explicit: a field without
@join__field lives in every subgraph of its type, `type:` equal to the field's type says nothing, etc.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    OperationDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
    print_ast,
    value_from_ast_untyped,
)

Fact = tuple[Any, ...]


def _args(d: Any) -> dict[str, Any]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in d.arguments or ()}


def _prefixes(doc: DocumentNode) -> dict[str, str]:
    """spec name -> name used in this document (`@link(url: ".../join/v0.3", as: "j")`)."""
    out: dict[str, str] = {}
    for d in doc.definitions:
        if isinstance(d, SchemaDefinitionNode):
            for ln in d.directives or ():
                if ln.name.value == "link":
                    a = _args(ln)
                    spec = str(a["url"]).rstrip("/").split("/")[-2]
                    out[spec] = str(a.get("as") or spec)
    return out


def normalize_field_set(fields: str | None) -> str | None:
    if fields is None:
        return None
    op = parse("{" + fields + "}").definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    return " ".join(print_ast(op.selection_set).split())


def _has(node: Any, name: str) -> bool:
    return any(d.name.value == name for d in getattr(node, "directives", None) or ())


def api_schema(sdl: str) -> GraphQLSchema:
    doc = parse(sdl)
    p = _prefixes(doc)
    internal = (*[f"{name}__" for name in p.values()], "link__")  # every linked feature's own types
    inaccessible = p.get("inaccessible", "inaccessible") if "inaccessible" in p else None

    def hidden(node: Any) -> bool:
        return inaccessible is not None and _has(node, inaccessible)

    hidden_types = {d.name.value for d in doc.definitions if isinstance(d, TypeDefinitionNode) and hidden(d)}

    def keep_type_ref(t: Any) -> bool:
        while hasattr(t, "type"):
            t = t.type
        return t.name.value not in hidden_types

    defs: list[Any] = []
    for d in doc.definitions:
        if isinstance(d, SchemaDefinitionNode | DirectiveDefinitionNode):
            continue
        if not isinstance(d, TypeDefinitionNode):
            continue
        name = d.name.value
        if name.startswith(internal) or name in hidden_types:
            continue
        kw: dict[str, Any] = {"directives": ()}
        if isinstance(d, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            fields = []
            for f in d.fields or ():
                if hidden(f) or not keep_type_ref(f.type):
                    continue
                args = tuple(_strip(a) for a in f.arguments or () if not hidden(a))
                fields.append(_strip(f, arguments=args))
            kw["fields"] = tuple(fields)
            kw["interfaces"] = tuple(i for i in d.interfaces or () if i.name.value not in hidden_types)
        elif isinstance(d, UnionTypeDefinitionNode):
            kw["types"] = tuple(t for t in d.types or () if t.name.value not in hidden_types)
        elif isinstance(d, EnumTypeDefinitionNode):
            kw["values"] = tuple(_strip(v) for v in d.values or () if not hidden(v))
        elif isinstance(d, InputObjectTypeDefinitionNode):
            kw["fields"] = tuple(_strip(f) for f in d.fields or () if not hidden(f))
        defs.append(_copy(d, **kw))
    return build_ast_schema(DocumentNode(definitions=tuple(defs)))


def _copy(node: Any, **changes: Any) -> Any:
    kw = {k: getattr(node, k) for k in node.keys if k != "loc"}
    return node.__class__(**{**kw, **changes})


def _strip(node: Any, **changes: Any) -> Any:
    """Keeps @deprecated only: other directives are composition metadata."""
    kept = tuple(d for d in node.directives or () if d.name.value == "deprecated")
    return _copy(node, directives=kept, **changes)


def join_facts(sdl: str) -> set[Fact]:
    doc = parse(sdl)
    p = _prefixes(doc)
    j = p.get("join", "join")
    tag = p.get("tag")
    machinery = {"link", "deprecated", "specifiedBy", p.get("inaccessible", "inaccessible"), tag}

    def applied(coordinate: str, node: Any) -> None:
        """Other directives kept in the supergraph (@authenticated, @requiresScopes, composed ones)."""
        for dr in getattr(node, "directives", None) or ():
            n = dr.name.value
            if n not in machinery and not n.startswith(f"{j}__"):
                facts.add(("directive", coordinate, n, repr(sorted(_args(dr).items()))))

    graphs: dict[str, str] = {}
    for d in doc.definitions:
        if isinstance(d, EnumTypeDefinitionNode) and d.name.value == f"{j}__Graph":
            for v in d.values or ():
                for dr in v.directives or ():
                    if dr.name.value == f"{j}__graph":
                        graphs[v.name.value] = str(_args(dr)["name"])
    facts: set[Fact] = set()
    for d in doc.definitions:
        if not isinstance(d, TypeDefinitionNode) or d.name.value.startswith(("link__", f"{j}__")):
            continue
        t = d.name.value
        applied(t, d)
        type_graphs: list[str] = []
        for dr in d.directives or ():
            a = _args(dr)
            n = dr.name.value
            if n == f"{j}__type":
                g = graphs[a["graph"]]
                type_graphs.append(g)
                facts.add(
                    (
                        "type",
                        t,
                        g,
                        normalize_field_set(a.get("key")),
                        a.get("resolvable", True) is not False,
                        bool(a.get("isInterfaceObject")),
                        bool(a.get("extension")),
                    )
                )
            elif n == f"{j}__implements":
                facts.add(("implements", t, graphs[a["graph"]], a["interface"]))
            elif n == f"{j}__unionMember":
                facts.add(("unionMember", t, graphs[a["graph"]], a["member"]))
            elif tag and n == tag:
                facts.add(("tag", t, a["name"]))
        for v in getattr(d, "values", None) or ():
            for dr in v.directives or ():
                if dr.name.value == f"{j}__enumValue":
                    facts.add(("enumValue", t, v.name.value, graphs[_args(dr)["graph"]]))
                elif tag and dr.name.value == tag:
                    facts.add(("tag", f"{t}.{v.name.value}", _args(dr)["name"]))
        for f in getattr(d, "fields", None) or ():
            ftype = print_ast(f.type)
            applied(f"{t}.{f.name.value}", f)
            joins = [_args(dr) for dr in f.directives or () if dr.name.value == f"{j}__field"]
            for dr in f.directives or ():
                if tag and dr.name.value == tag:
                    facts.add(("tag", f"{t}.{f.name.value}", _args(dr)["name"]))
            for arg in getattr(f, "arguments", None) or ():
                for dr in arg.directives or ():
                    if tag and dr.name.value == tag:
                        facts.add(("tag", f"{t}.{f.name.value}({arg.name.value}:)", _args(dr)["name"]))
            if not joins:
                joins = (
                    [{"graph": g} for g in type_graphs]
                    if isinstance(
                        d,
                        ObjectTypeDefinitionNode
                        | InterfaceTypeDefinitionNode
                        | InputObjectTypeDefinitionNode,
                    )
                    else []
                )
                graph_of = {g: g for g in type_graphs}
            else:
                graph_of = graphs
            for a in joins:
                if a.get("graph") is None:
                    continue
                facts.add(
                    (
                        "field",
                        f"{t}.{f.name.value}",
                        graph_of[a["graph"]],
                        normalize_field_set(a.get("requires")),
                        normalize_field_set(a.get("provides")),
                        None if a.get("type") in (None, ftype) else a["type"],
                        bool(a.get("external")),
                        a.get("override"),
                        bool(a.get("usedOverridden")),
                        a.get("overrideLabel"),
                    )
                )
    return facts
