"""The supergraph as the planner sees it: which subgraph owns which type and field."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import GraphQLSchema

from router.supergraph.authorization import Requirement


@dataclass(frozen=True)
class Graph:
    """One subgraph: `enum` is its join__Graph value, `name` its human name."""

    enum: str
    name: str
    url: str


@dataclass
class Key:
    fields: str
    resolvable: bool = True


@dataclass
class TypeInGraph:
    keys: list[Key] = field(default_factory=list)
    extension: bool = False
    interface_object: bool = False


@dataclass
class FieldInGraph:
    external: bool = False
    requires: str | None = None
    provides: str | None = None
    override: str | None = None
    used_overridden: bool = False
    type: str | None = None


@dataclass
class FieldInfo:
    name: str
    type: str
    # None means "no @join__field": resolvable wherever the parent type lives.
    graphs: dict[str, FieldInGraph] | None = None


@dataclass
class TypeInfo:
    name: str
    kind: str  # object | interface | union | enum | input | scalar
    graphs: dict[str, TypeInGraph] = field(default_factory=dict)
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    implements: dict[str, set[str]] = field(default_factory=dict)  # graph -> interfaces
    union_members: dict[str, set[str]] = field(default_factory=dict)  # graph -> members

    def resolvable_keys(self, graph: str) -> list[Key]:
        tig = self.graphs.get(graph)
        return [k for k in tig.keys if k.resolvable] if tig else []


@dataclass
class Supergraph:
    sdl: str
    graphs: dict[str, Graph]
    types: dict[str, TypeInfo]
    api_schema: GraphQLSchema
    root_types: dict[str, str]  # operation -> type name
    # @authenticated / @requiresScopes / @policy: on types (any field returning one), and on fields
    auth_types: dict[str, Requirement] = field(default_factory=dict)
    auth_fields: dict[tuple[str, str], Requirement] = field(default_factory=dict)

    def field_requirement(self, parent: str, fname: str, returns: str) -> Requirement | None:
        """What reading `parent.fname` (of type `returns`) needs; None when anyone may."""
        a = self.auth_fields.get((parent, fname))
        b = self.auth_types.get(returns)
        if a is None or b is None:
            return a or b
        return a & b

    def field_graphs(self, type_name: str, field_name: str) -> list[str]:
        """Subgraphs that can resolve `type_name.field_name` themselves (not external)."""
        t = self.types[type_name]
        f = t.fields.get(field_name)
        if f is None:
            return []
        if f.graphs is None:
            return list(t.graphs)
        return [g for g, fg in f.graphs.items() if not fg.external and not fg.used_overridden]
