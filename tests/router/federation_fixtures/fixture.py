"""A Federation v2 fixture subgraph: an SDL file plus deterministic in-memory resolvers, over graphql-core.

`Fixture` implements the subgraph side of the federation protocol: `_service { sdl }` answers the SDL file
as written, `_entities(representations:)` finds objects by any of the type's keys (nested keys included),
and entity interfaces resolve to their concrete type. Field values come from, in order:
  `fields["Type.field"](obj, args)`   computed (an exception becomes a GraphQL error at that path)
  `obj[field]`                         the object itself (a representation carries @requires fields)
  the stored object of the same entity (found by key)
A value `ref("User", id="u1")` is a reference to an entity, resolved by the subgraph that owns it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    build_ast_schema,
    get_named_type,
    is_abstract_type,
    is_interface_type,
    parse,
)

Resolver = Callable[[dict[str, Any], dict[str, Any]], Any]

FEDERATION_TYPES = """
scalar _Any
scalar FieldSet
scalar link__Import
scalar federation__FieldSet
type _Service { sdl: String! }
"""


def ref(typename: str, **key: Any) -> dict[str, Any]:
    return {"__typename": typename, **key}


def fail(message: str, code: str = "INTERNAL_SERVER_ERROR") -> Any:
    raise GraphQLError(message, extensions={"code": code})


def key_shape(fields: str) -> list[Any]:
    """`"id region { country }"` -> ["id", ("region", ["country"])]."""
    op = parse("{" + fields + "}").definitions[0]
    assert isinstance(op, OperationDefinitionNode)

    def walk(sel: Any) -> list[Any]:
        out: list[Any] = []
        for s in sel.selections:
            assert isinstance(s, FieldNode)
            out.append((s.name.value, walk(s.selection_set)) if s.selection_set else s.name.value)
        return out

    return walk(op.selection_set)


def project(obj: Any, shape: list[Any]) -> Any:
    if not isinstance(obj, dict):
        return obj
    out: dict[str, Any] = {}
    for s in shape:
        name, sub = s if isinstance(s, tuple) else (s, None)
        if name not in obj:
            return None
        out[name] = project(obj[name], sub) if sub else obj[name]
    return out


@dataclass
class Fixture:
    name: str
    sdl_path: Path
    roots: dict[str, Resolver] = field(default_factory=dict)  # "Query.user": fn(None, args)
    entities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # type -> stored objects
    fields: dict[str, Resolver] = field(default_factory=dict)  # "Type.field": fn(obj, args)
    broken: bool = False  # answers every request with HTTP 500 and a text body

    def __post_init__(self) -> None:
        self.sdl = self.sdl_path.read_text()
        self.schema, self.keys = self._build()

    def _build(self) -> tuple[GraphQLSchema, dict[str, list[list[Any]]]]:
        doc = parse(self.sdl)
        key_names = {"key"}
        for d in doc.definitions:
            for link in getattr(d, "directives", None) or ():
                if link.name.value != "link":
                    continue
                for arg in link.arguments or ():
                    if arg.name.value != "import":
                        continue
                    for item in getattr(arg.value, "values", ()):
                        fields_ = {f.name.value: f.value.value for f in getattr(item, "fields", ())}
                        if fields_.get("name") == "@key" and fields_.get("as"):
                            key_names.add(fields_["as"].lstrip("@"))
        keys: dict[str, list[list[Any]]] = {}
        resolvable: set[str] = set()
        kinds: dict[str, str] = {}
        for d in doc.definitions:
            name = getattr(getattr(d, "name", None), "value", None)
            if name is None:
                continue
            kinds[name] = d.kind
            for dr in getattr(d, "directives", None) or ():
                if dr.name.value in key_names or dr.name.value == "federation__key":
                    args = {a.name.value: a.value for a in dr.arguments or ()}
                    keys.setdefault(name, []).append(key_shape(args["fields"].value))  # type: ignore[attr-defined]
                    if getattr(args.get("resolvable"), "value", True) is not False:
                        resolvable.add(name)
        objects = sorted(n for n in resolvable if kinds[n] == "object_type_definition")
        extra = FEDERATION_TYPES
        q = "_service: _Service!"
        if objects:
            extra += "union _Entity = " + " | ".join(objects) + "\n"
            q += "\n  _entities(representations: [_Any!]!): [_Entity]!"
        extra += "extend type Query {\n  " + q + "\n}\n"
        schema = build_ast_schema(parse(self.sdl + extra), assume_valid_sdl=True)
        for t in schema.type_map.values():
            if is_abstract_type(t):
                t.resolve_type = lambda obj, *_: obj.get("__typename")  # type: ignore[union-attr]
        return schema, keys

    # -- entities ----------------------------------------------------------------------------------
    def implementations(self, typename: str) -> list[str]:
        t = self.schema.type_map.get(typename)
        if t is not None and is_interface_type(t):
            return [o.name for o in self.schema.get_possible_types(t)]  # type: ignore[arg-type]
        return [typename]

    def find(self, rep: dict[str, Any]) -> dict[str, Any] | None:
        typename = str(rep.get("__typename"))
        for concrete in self.implementations(typename):
            for obj in self.entities.get(concrete, []):
                for shape in self.keys.get(typename, []) + self.keys.get(concrete, []):
                    want = project(rep, shape)
                    if want is not None and project(obj, shape) == want:
                        return {
                            **obj,
                            **{k: v for k, v in rep.items() if k != "__typename"},
                            "__typename": concrete,
                        }
        return None

    # -- resolving ---------------------------------------------------------------------------------
    def resolve(self, obj: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        parent = info.parent_type.name
        name = info.field_name
        if name == "_service":
            return {"sdl": self.sdl}
        if name == "_entities":
            return [self.find(r) for r in args["representations"]]
        fn = self.fields.get(f"{parent}.{name}")
        if parent in ("Query", "Mutation") and not obj:
            fn = self.roots.get(f"{parent}.{name}")
            return self.wrap(fn(obj or {}, args) if fn else None, info)
        if fn is not None:
            if isinstance(obj, dict) and obj.get("__typename") in self.keys:
                obj = {**(self.find(obj) or {}), **obj}  # a reference: add what this subgraph stores
            return self.wrap(fn(obj, args), info)
        if not isinstance(obj, dict):
            return None
        if name in obj:
            return self.wrap(obj[name], info)
        stored = self.find(obj) if "__typename" in obj else None
        return self.wrap(stored.get(name) if stored else None, info)

    def wrap(self, value: Any, info: GraphQLResolveInfo) -> Any:
        named = get_named_type(info.return_type)
        if isinstance(named, GraphQLObjectType):
            if isinstance(value, list):
                return [self._typed(v, named.name) for v in value]
            return self._typed(value, named.name)
        return value

    @staticmethod
    def _typed(value: Any, typename: str) -> Any:
        if isinstance(value, dict) and "__typename" not in value:
            return {**value, "__typename": typename}
        return value
