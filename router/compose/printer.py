"""Prints the merged model as a standard Federation v2 supergraph SDL (link v1.0, join v0.3)."""

from __future__ import annotations

import json

from router.compose.merge import ROOTS
from router.compose.merged import Merged, MField, MType

JOIN_DEFS = """directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, \
type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION \
| INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, \
resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION \
| ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA"""

INACCESSIBLE_DEF = (
    "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR "
    "| ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
TAG_DEF = (
    "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION "
    "| ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA"
)

SECURITY_SPECS: dict[str, tuple[str, str]] = {
    "authenticated": (
        "https://specs.apollo.dev/authenticated/v0.1",
        "directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    ),
    "requiresScopes": (
        "https://specs.apollo.dev/requiresScopes/v0.1",
        "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT "
        "| INTERFACE | SCALAR | ENUM\n\nscalar requiresScopes__Scope",
    ),
    "policy": (
        "https://specs.apollo.dev/policy/v0.1",
        "directive @policy(policies: [[policy__Policy!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE "
        "| SCALAR | ENUM\n\nscalar policy__Policy",
    ),
}

LINK_TYPES = '''scalar join__FieldSet

scalar link__Import

enum link__Purpose {
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}'''


def _s(v: str) -> str:
    return json.dumps(v, ensure_ascii=False)


def _desc(d: str | None, indent: str) -> str:
    if not d:
        return ""
    if "\n" in d or '"' in d:
        body = d.replace('"""', '\\"""')
        return f'{indent}"""\n{indent}{body}\n{indent}"""\n'
    return f'{indent}"""{d}"""\n'


def _meta(x: MType | MField) -> list[str]:
    out = []
    if x.inaccessible:
        out.append("@inaccessible")
    out += [f"@tag(name: {_s(t)})" for t in x.tags]
    return out


class Printer:
    def __init__(self, merged: Merged) -> None:
        self.m = merged
        self.uses_inaccessible = any(
            t.inaccessible
            or any(f.inaccessible or any(a.inaccessible for a in f.args) for f in t.fields.values())
            or any(v.inaccessible for v in t.values.values())
            for t in merged.types.values()
        )
        self.uses_tag = any(
            t.tags or any(f.tags for f in t.fields.values()) or any(v.tags for v in t.values.values())
            for t in merged.types.values()
        )
        applied = [
            x
            for t in merged.types.values()
            for x in [*t.applied, *(a for f in t.fields.values() for a in f.applied)]
        ]
        self.security = [d for d in SECURITY_SPECS if any(x.split("(")[0] == f"@{d}" for x in applied)]
        # Progressive @override labels need join v0.4 (overrideLabel); otherwise v0.3, the widest supported.
        self.labels = any(
            d.override_label
            for t in merged.types.values()
            for f in t.fields.values()
            for d in f.graphs.values()
        )

    def print(self) -> str:
        join_defs = JOIN_DEFS.replace(
            "usedOverridden: Boolean)", "usedOverridden: Boolean, overrideLabel: String)"
        )
        parts = [self.schema(), join_defs if self.labels else JOIN_DEFS]
        if self.uses_inaccessible:
            parts.append(INACCESSIBLE_DEF)
        if self.uses_tag:
            parts.append(TAG_DEF)
        parts += [SECURITY_SPECS[d][1] for d in self.security]
        parts += [definition for _, (definition, _url) in sorted(self.m.composed.items())]
        parts.append(self.graph_enum())
        parts.append(LINK_TYPES)
        for name in sorted(self.m.types):
            parts.append(self.type(self.m.types[name]))
        return "\n\n".join(parts) + "\n"

    def schema(self) -> str:
        join = "v0.4" if self.labels else "v0.3"
        links = [
            '  @link(url: "https://specs.apollo.dev/link/v1.0")',
            f'  @link(url: "https://specs.apollo.dev/join/{join}", for: EXECUTION)',
        ]
        if self.uses_inaccessible:
            links.append('  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)')
        if self.uses_tag:
            links.append('  @link(url: "https://specs.apollo.dev/tag/v0.3")')
        links += [f"  @link(url: {_s(SECURITY_SPECS[d][0])}, for: SECURITY)" for d in self.security]
        by_url: dict[str, list[str]] = {}
        for name, (_definition, url) in sorted(self.m.composed.items()):
            if url:
                by_url.setdefault(url, []).append(f"@{name}")
        for url, names in by_url.items():
            links.append(f"  @link(url: {_s(url)}, import: [{', '.join(_s(n) for n in names)}])")
        ops = [f"  {r.lower()}: {r}" for r in ROOTS if r in self.m.types]
        return "schema\n" + "\n".join(links) + "\n{\n" + "\n".join(ops) + "\n}"

    def graph_enum(self) -> str:
        lines = [
            f"  {g} @join__graph(name: {_s(s.name)}, url: {_s(s.url)})" for g, s in self.m.graphs.items()
        ]
        return "enum join__Graph {\n" + "\n".join(lines) + "\n}"

    def type_joins(self, mt: MType) -> list[str]:
        out = []
        for g, t in mt.graphs.items():
            extra = ""
            if t.extension and mt.kind in ("object", "interface"):
                extra += ", extension: true"
            if t.interface_object:
                extra += ", isInterfaceObject: true"
            if t.keys and mt.kind in ("object", "interface"):
                for fields, resolvable in t.keys:
                    res = "" if resolvable else ", resolvable: false"
                    out.append(f"@join__type(graph: {g}, key: {_s(fields)}{extra}{res})")
            else:
                out.append(f"@join__type(graph: {g}{extra})")
        for g, t in mt.graphs.items():
            for i in t.interfaces:
                out.append(f"@join__implements(graph: {g}, interface: {_s(i)})")
            for m in t.members:
                out.append(f"@join__unionMember(graph: {g}, member: {_s(m)})")
        return out

    def type(self, mt: MType) -> str:
        kw = {
            "object": "type",
            "interface": "interface",
            "union": "union",
            "enum": "enum",
            "input": "input",
            "scalar": "scalar",
        }[mt.kind]
        head = _desc(mt.description, "") + f"{kw} {mt.name}"
        if mt.interfaces and mt.kind in ("object", "interface"):
            head += " implements " + " & ".join(mt.interfaces)
        dirs = self.type_joins(mt) + _meta(mt) + mt.applied
        head += "".join(f"\n  {d}" for d in dirs)
        if mt.kind == "scalar":
            return head
        if mt.kind == "union":
            return head + "\n = " + " | ".join(mt.members)
        body: list[str] = []
        if mt.kind == "enum":
            for v in mt.values.values():
                d = [f"@join__enumValue(graph: {g})" for g in v.graphs]
                if v.deprecated:
                    d.append(f"@deprecated(reason: {_s(v.deprecated)})")
                body.append(
                    _desc(v.description, "  ") + f"  {v.name}" + "".join(" " + x for x in d + _meta(v))
                )
        else:
            for f in mt.fields.values():
                body.append(self.field(mt, f))
        return head + "\n{\n" + "\n".join(body) + "\n}"

    def field(self, mt: MType, f: MField) -> str:
        line = _desc(f.description, "  ") + f"  {f.name}"
        if f.args:
            args = []
            for a in f.args:
                s = f"{a.name}: {a.type}"
                if a.description:
                    s = f"{_s(a.description)} {s}"
                if a.default is not None:
                    s += f" = {a.default}"
                if a.inaccessible:
                    s += " @inaccessible"
                s += "".join(f" @tag(name: {_s(t)})" for t in a.tags)
                args.append(s)
            line += "(" + ", ".join(args) + ")"
        line += f": {f.type}"
        if mt.kind == "input" and f.default is not None:
            line += f" = {f.default}"
        dirs = self.field_joins(mt, f)
        if f.deprecated:
            dirs.append(f"@deprecated(reason: {_s(f.deprecated)})")
        dirs += _meta(f) + f.applied
        return line + "".join(" " + d for d in dirs)

    def field_joins(self, mt: MType, f: MField) -> list[str]:
        if mt.kind == "input":
            return []
        if not f.graphs:
            return ["@join__field"]
        type_graphs = [g for g, t in mt.graphs.items() if not t.interface_object or mt.kind == "interface"]
        plain = all(
            not (d.external or d.requires or d.provides or d.override) and d.type == f.type
            for d in f.graphs.values()
        )
        if plain and set(f.graphs) == set(type_graphs):
            return []
        overridden = {d.override: d.override_label for d in f.graphs.values() if d.override}
        out = []
        for g, d in f.graphs.items():
            label: str | None = None
            if self.m.graphs[g].name in overridden:
                label = overridden[self.m.graphs[g].name]
                if label is None:
                    continue  # fully overridden: this subgraph no longer resolves the field
            a = [f"graph: {g}"]
            if d.requires:
                a.append(f"requires: {_s(d.requires)}")
            if d.provides:
                a.append(f"provides: {_s(d.provides)}")
            if d.type != f.type:
                a.append(f"type: {_s(d.type)}")
            if d.external:
                a.append("external: true")
            if d.override:
                a.append(f"override: {_s(d.override)}")
            if d.override_label or label:
                a.append(f"overrideLabel: {_s(d.override_label or label or '')}")
            out.append(f"@join__field({', '.join(a)})")
        return out
