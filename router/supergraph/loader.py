"""Reads a Federation v2 supergraph SDL (ours or any other composer's) into a `Supergraph`."""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    parse,
    print_ast,
    value_from_ast_untyped,
)

from router.supergraph.api_schema import build_api_schema
from router.supergraph.authorization import read_requirements
from router.supergraph.model import (
    FieldInfo,
    FieldInGraph,
    Graph,
    Key,
    Supergraph,
    TypeInfo,
    TypeInGraph,
)
from router.type_kinds import TYPE_KINDS


class SupergraphError(Exception):
    """The supergraph SDL is not a Federation v2 supergraph we can serve."""


_KINDS = TYPE_KINDS


def directive_args(d: DirectiveNode) -> dict[str, Any]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in d.arguments or ()}


def link_prefixes(doc: DocumentNode) -> dict[str, str]:
    """Maps spec name ("join", "inaccessible", "tag") to the name it is used under in this document."""
    names: dict[str, str] = {}
    for defn in doc.definitions:
        if not isinstance(defn, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for d in defn.directives or ():
            if d.name.value != "link":
                continue
            args = directive_args(d)
            url = str(args.get("url", ""))
            parts = url.rstrip("/").split("/")
            spec = parts[-2] if len(parts) >= 2 else ""
            names[spec] = str(args.get("as") or spec)
    return names


def load_supergraph(sdl: str) -> Supergraph:
    try:
        doc = parse(sdl)
    except Exception as exc:
        raise SupergraphError(f"supergraph SDL does not parse: {exc}") from None
    links = link_prefixes(doc)
    if "join" not in links:
        raise SupergraphError("not a Federation v2 supergraph: no @link to the join spec")
    join = links["join"]
    graphs: dict[str, Graph] = {}
    types: dict[str, TypeInfo] = {}
    root_types = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
    explicit_roots = False
    for defn in doc.definitions:
        if isinstance(defn, SchemaDefinitionNode | SchemaExtensionNode):
            for op in defn.operation_types or ():
                if not explicit_roots:
                    root_types = {}
                    explicit_roots = True
                root_types[op.operation.value] = op.type.name.value
            continue
        kind = _KINDS.get(type(defn))
        if kind is None:
            continue
        name = defn.name.value  # type: ignore[attr-defined]
        if name == f"{join}__Graph" and isinstance(defn, EnumTypeDefinitionNode):
            for v in defn.values or ():
                for d in v.directives or ():
                    if d.name.value == f"{join}__graph":
                        a = directive_args(d)
                        graphs[v.name.value] = Graph(v.name.value, str(a["name"]), str(a["url"]))
            continue
        t = types.get(name)
        if t is None:
            t = types[name] = TypeInfo(name=name, kind=kind)
        _read_type_directives(t, getattr(defn, "directives", None) or (), join)
        if kind in ("object", "interface"):
            for fd in defn.fields or ():  # type: ignore[attr-defined]
                fi = FieldInfo(name=fd.name.value, type=print_ast(fd.type))
                for d in fd.directives or ():
                    if d.name.value != f"{join}__field":
                        continue
                    a = directive_args(d)
                    if fi.graphs is None:
                        fi.graphs = {}
                    g = a.get("graph")
                    if g is None:
                        continue
                    fi.graphs[str(g)] = FieldInGraph(
                        external=bool(a.get("external")),
                        requires=a.get("requires"),
                        provides=a.get("provides"),
                        override=a.get("override"),
                        used_overridden=bool(a.get("usedOverridden")),
                        type=a.get("type"),
                    )
                t.fields[fi.name] = fi
    api_schema = build_api_schema(doc, links)
    root_types = {k: v for k, v in root_types.items() if v in types}
    auth_types, auth_fields = read_requirements(doc, links)
    return Supergraph(
        sdl=sdl,
        graphs=graphs,
        types=types,
        api_schema=api_schema,
        root_types=root_types,
        auth_types=auth_types,
        auth_fields=auth_fields,
    )


def _read_type_directives(t: TypeInfo, directives: Any, join: str) -> None:
    for d in directives:
        dn = d.name.value
        if dn == f"{join}__type":
            a = directive_args(d)
            g = str(a["graph"])
            tig = t.graphs.setdefault(g, TypeInGraph())
            if a.get("key") is not None:
                tig.keys.append(Key(str(a["key"]), a.get("resolvable", True) is not False))
            tig.extension = tig.extension or bool(a.get("extension"))
            tig.interface_object = tig.interface_object or bool(a.get("isInterfaceObject"))
        elif dn == f"{join}__implements":
            a = directive_args(d)
            t.implements.setdefault(str(a["graph"]), set()).add(str(a["interface"]))
        elif dn == f"{join}__unionMember":
            a = directive_args(d)
            t.union_members.setdefault(str(a["graph"]), set()).add(str(a["member"]))
