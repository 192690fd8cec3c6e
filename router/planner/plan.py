"""The query plan: fetch nodes forming a DAG, plus the normalised operation used to shape the answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from router.planner.operation import NormField
from router.planner.selection import SelectionSet


@dataclass(eq=False)
class FetchNode:
    id: int
    graph: str  # join__Graph enum value
    service: str  # subgraph name
    kind: str  # "root" or "entity"
    path: tuple[str, ...] = ()  # response keys from the data root; lists are flattened while walking
    selection: SelectionSet = field(default_factory=SelectionSet)  # root fields, or one fragment per type
    representation: dict[str, SelectionSet] = field(default_factory=dict)  # type -> key + @requires fields
    depends: list[FetchNode] = field(default_factory=list)
    variables: set[str] = field(default_factory=set)
    rep_typename: dict[str, str] = field(default_factory=dict)  # runtime type -> type named in the rep
    operation_type: str = "query"
    query: str = ""  # rendered once when the plan is finished
    # path + representation selections, rendered with the query: entity fetches with the same one that
    # start together send the same representations, built once (executor)
    rep_key: str = ""
    # runtime type -> the function that builds its representation from an object (executor, on first use)
    rep_builders: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def type_names(self) -> frozenset[str]:
        return frozenset(self.representation)


@dataclass
class QueryPlan:
    operation_type: str
    root_type: str
    fields: list[NormField]  # normalised operation (including introspection fields)
    nodes: list[FetchNode]  # topological order
    introspection: list[NormField] = field(default_factory=list)  # __schema / __type root fields
    shaper: Any = None  # compiled response shaper, built on first use
    removed: list[Any] = field(default_factory=list)  # authorize.Removed: fields cut for authorization
