"""One subgraph's SDL read into plain data: federation directives resolved through its @link imports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    GraphQLError,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeExtensionNode,
    Visitor,
    parse,
    print_ast,
    value_from_ast_untyped,
    visit,
)

from router.compose.errors import CompositionError
from router.type_kinds import TYPE_KINDS

FED_DIRECTIVES = (
    "key",
    "shareable",
    "external",
    "requires",
    "provides",
    "override",
    "inaccessible",
    "tag",
    "interfaceObject",
    "extends",
    "composeDirective",
    "authenticated",
    "requiresScopes",
    "policy",
)
INTERNAL_TYPES = {
    "_Service",
    "_Entity",
    "_Any",
    "FieldSet",
    "_FieldSet",
    "link__Import",
    "link__Purpose",
    "federation__FieldSet",
    "federation__Scope",
    "federation__Policy",
}
INTERNAL_ROOT_FIELDS = {"_service", "_entities"}

_KIND = TYPE_KINDS


@dataclass
class Arg:
    name: str
    type: str
    default: str | None
    description: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)


@dataclass
class SField:
    name: str
    type: str
    args: list[Arg] = field(default_factory=list)
    description: str | None = None
    external: bool = False
    requires: str | None = None
    provides: str | None = None
    override: str | None = None
    override_label: str | None = None  # progressive @override
    shareable: bool = False
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    deprecated: str | None = None
    default: str | None = None  # input fields
    applied: list[str] = field(default_factory=list)  # kept directives, printed (@authenticated, composed)


@dataclass
class SType:
    name: str
    kind: str
    description: str | None = None
    fields: dict[str, SField] = field(default_factory=dict)
    keys: list[tuple[str, bool]] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, SField] = field(default_factory=dict)  # enum values (type unused)
    extension: bool = False
    shareable: bool = False
    inaccessible: bool = False
    interface_object: bool = False
    tags: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)


@dataclass
class Subgraph:
    name: str
    url: str
    types: dict[str, SType]
    roots: dict[str, str]  # operation -> original root type name
    federation_v2: bool
    # @composeDirective'd directives: name -> (definition SDL, URL of the @link that imports it)
    composed: dict[str, tuple[str, str | None]] = field(default_factory=dict)


# Federation directives carried into the supergraph as they are (with their own @link there).
SECURITY_DIRECTIVES = ("authenticated", "requiresScopes", "policy")


def _args(d: Any) -> dict[str, Any]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in d.arguments or ()}


def _directive_names(doc: Any) -> tuple[dict[str, str], bool]:
    """local directive name -> canonical federation name, and whether the subgraph links Federation v2."""
    names: dict[str, str] = {}
    v2 = False
    for defn in doc.definitions:
        if not isinstance(defn, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for d in defn.directives or ():
            if d.name.value != "link":
                continue
            a = _args(d)
            url = str(a.get("url", ""))
            if "specs.apollo.dev/federation/" not in url:
                continue
            v2 = True
            prefix = str(a.get("as") or "federation")
            for n in FED_DIRECTIVES:
                names[f"{prefix}__{n}"] = n
            for imp in a.get("import") or ():
                if isinstance(imp, str):
                    names[imp.lstrip("@")] = imp.lstrip("@")
                elif isinstance(imp, dict) and "name" in imp:
                    src = str(imp["name"]).lstrip("@")
                    names[str(imp.get("as") or imp["name"]).lstrip("@")] = src
    if not v2:
        names = {n: n for n in FED_DIRECTIVES}
    return names, v2


BUILTIN_DIRECTIVES = {"deprecated", "specifiedBy", "oneOf", "include", "skip", "link"}


class _DirectiveUses(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_directive(self, node: Any, *_: Any) -> None:
        self.names.add(node.name.value)


def _check_known_directives(name: str, doc: Any, dnames: dict[str, str]) -> None:
    """A Federation v2 subgraph uses only directives it defines, built-in ones, and ones its @links bring
    (imported, or under a linked spec's namespace): anything else is reported, not silently dropped."""
    known = BUILTIN_DIRECTIVES | set(dnames)
    known |= {d.name.value for d in doc.definitions if isinstance(d, DirectiveDefinitionNode)}
    prefixes: list[str] = []
    for defn in doc.definitions:
        if not isinstance(defn, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for d in defn.directives or ():
            if d.name.value != "link":
                continue
            a = _args(d)
            parts = str(a.get("url", "")).rstrip("/").split("/")
            prefixes.append(str(a.get("as") or (parts[-2] if len(parts) >= 2 else "")) + "__")
            for imp in a.get("import") or ():
                n = imp.get("as") or imp.get("name") if isinstance(imp, dict) else imp
                if n:
                    known.add(str(n).lstrip("@"))
    uses = _DirectiveUses()
    visit(doc, uses)
    unknown = sorted(n for n in uses.names - known if not n.startswith(tuple(prefixes)))
    if unknown:
        raise CompositionError([("INVALID_GRAPHQL", f'[{name}] Unknown directive "@{n}".') for n in unknown])


def parse_subgraph(name: str, url: str, sdl: str) -> Subgraph:
    try:
        doc = parse(sdl)
    except GraphQLError as exc:
        raise CompositionError([("INVALID_GRAPHQL", f"[{name}] SDL does not parse: {exc.message}")]) from None
    dnames, v2 = _directive_names(doc)
    if v2:
        _check_known_directives(name, doc, dnames)

    composed = _composed_directives(doc, dnames)

    def kept(node: Any) -> list[str]:
        out: list[str] = []
        for d in node.directives or ():
            canon = dnames.get(d.name.value)
            # A scalar's @specifiedBy is part of the API schema (GraphQL spec), as other composers keep it.
            specified_by = d.name.value == "specifiedBy" and getattr(node, "kind", "").startswith("scalar")
            if canon in SECURITY_DIRECTIVES or (canon is None and d.name.value in composed) or specified_by:
                args = "(" + ", ".join(print_ast(a) for a in d.arguments) + ")" if d.arguments else ""
                out.append(f"@{canon or d.name.value}{args}")
        return out

    def fed(node: Any) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for d in node.directives or ():
            canon = dnames.get(d.name.value)
            if canon is not None:
                out.append((canon, _args(d)))
            elif d.name.value == "deprecated":
                out.append(("deprecated", _args(d)))
        return out

    roots = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
    types: dict[str, SType] = {}
    for defn in doc.definitions:
        if isinstance(defn, SchemaDefinitionNode | SchemaExtensionNode):
            for op in defn.operation_types or ():
                roots[op.operation.value] = op.type.name.value
            continue
        if isinstance(defn, DirectiveDefinitionNode):
            continue
        kind = _KIND.get(type(defn))
        if kind is None:
            continue
        tname = defn.name.value  # type: ignore[attr-defined]
        if tname in INTERNAL_TYPES:
            continue
        t = types.get(tname)
        if t is None:
            t = types[tname] = SType(tname, kind)
        elif t.kind != kind:
            raise CompositionError(
                [("TYPE_KIND_MISMATCH", f'[{name}] Type "{tname}" is defined as both {t.kind} and {kind}.')]
            )
        desc = getattr(defn, "description", None)
        if desc is not None and t.description is None:
            t.description = desc.value
        if isinstance(defn, TypeExtensionNode):
            t.extension = True
        for dn, a in fed(defn):
            if dn == "key":
                t.keys.append((str(a.get("fields", "")), a.get("resolvable", True) is not False))
            elif dn == "shareable":
                pass  # applied to this definition's fields below
            elif dn == "extends":
                t.extension = True
            elif dn == "inaccessible":
                t.inaccessible = True
            elif dn == "tag":
                t.tags.append(str(a["name"]))
            elif dn == "interfaceObject":
                t.interface_object = True
        t.applied += [x for x in kept(defn) if x not in t.applied]
        type_shareable = any(dn == "shareable" for dn, _ in fed(defn))
        t.shareable = t.shareable or type_shareable
        for i in getattr(defn, "interfaces", None) or ():
            if i.name.value not in t.interfaces:
                t.interfaces.append(i.name.value)
        for m in getattr(defn, "types", None) or ():
            if m.name.value not in t.members:
                t.members.append(m.name.value)
        for v in getattr(defn, "values", None) or ():
            ev = SField(v.name.value, "")
            ev.description = v.description.value if v.description else None
            _field_directives(ev, fed(v))
            t.values[ev.name] = ev
        for fd in getattr(defn, "fields", None) or ():
            f = SField(fd.name.value, print_ast(fd.type))
            f.description = fd.description.value if fd.description else None
            f.shareable = type_shareable or not v2
            if kind == "input" and fd.default_value is not None:
                f.default = print_ast(fd.default_value)
            for ad in getattr(fd, "arguments", None) or ():
                arg = Arg(
                    ad.name.value,
                    print_ast(ad.type),
                    print_ast(ad.default_value) if ad.default_value is not None else None,
                    ad.description.value if ad.description else None,
                )
                for dn, a in fed(ad):
                    if dn == "inaccessible":
                        arg.inaccessible = True
                    elif dn == "tag":
                        arg.tags.append(str(a["name"]))
                f.args.append(arg)
            _field_directives(f, fed(fd))
            f.applied = kept(fd)
            t.fields[f.name] = f
    # Root types are called Query/Mutation/Subscription in the supergraph.
    for op_name, rname in list(roots.items()):
        std = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}[op_name]
        if rname in types and rname != std:
            rt = types.pop(rname)
            rt.name = std
            types[std] = rt
    q = types.get("Query")
    if q is not None:
        for internal in INTERNAL_ROOT_FIELDS:
            q.fields.pop(internal, None)
        if not q.fields:
            del types["Query"]
    return Subgraph(name, url, types, roots, v2, composed)


def _composed_directives(doc: Any, dnames: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    names: list[str] = []
    links: dict[str, str] = {}
    for defn in doc.definitions:
        if not isinstance(defn, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for d in defn.directives or ():
            a = _args(d)
            if dnames.get(d.name.value) == "composeDirective":
                names.append(str(a.get("name", "")).lstrip("@"))
            elif d.name.value == "link":
                for imp in a.get("import") or ():
                    n = imp.get("as") or imp.get("name") if isinstance(imp, dict) else imp
                    if n:
                        links[str(n).lstrip("@")] = str(a.get("url", ""))
    defs = {d.name.value: print_ast(d) for d in doc.definitions if isinstance(d, DirectiveDefinitionNode)}
    return {n: (defs[n], links.get(n)) for n in names if n in defs}


def _field_directives(f: SField, dirs: list[tuple[str, dict[str, Any]]]) -> None:
    for dn, a in dirs:
        if dn == "external":
            f.external = True
        elif dn == "requires":
            f.requires = str(a.get("fields", ""))
        elif dn == "provides":
            f.provides = str(a.get("fields", ""))
        elif dn == "override":
            f.override = str(a.get("from", ""))
            f.override_label = str(a["label"]) if a.get("label") else None
        elif dn == "shareable":
            f.shareable = True
        elif dn == "inaccessible":
            f.inaccessible = True
        elif dn == "tag":
            f.tags.append(str(a["name"]))
        elif dn == "deprecated":
            f.deprecated = str(a.get("reason") or "No longer supported")
