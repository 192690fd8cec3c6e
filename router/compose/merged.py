"""The merged supergraph model that composition builds and the checks and printer read."""

from __future__ import annotations

from dataclasses import dataclass, field

from router.compose.subgraph import Arg, SField, SType, Subgraph


@dataclass
class MField:
    name: str
    type: str
    args: list[Arg]
    description: str | None
    graphs: dict[str, SField] = field(default_factory=dict)  # graph enum -> definition
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    deprecated: str | None = None
    default: str | None = None
    applied: list[str] = field(default_factory=list)  # @authenticated, @requiresScopes, composed directives


@dataclass
class MType:
    name: str
    kind: str
    description: str | None
    graphs: dict[str, SType] = field(default_factory=dict)
    fields: dict[str, MField] = field(default_factory=dict)
    values: dict[str, MField] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)


@dataclass
class Merged:
    graphs: dict[str, Subgraph]  # enum -> subgraph, sorted by subgraph name
    types: dict[str, MType]
    composed: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # see Subgraph.composed
