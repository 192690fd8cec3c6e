"""Reading a supergraph SDL into the model the planner uses, and deriving the client-facing API schema."""

from router.supergraph.authorization import ANONYMOUS, Principal, Requirement
from router.supergraph.loader import SupergraphError, load_supergraph
from router.supergraph.model import FieldInfo, Graph, Key, Supergraph, TypeInfo

__all__ = [
    "ANONYMOUS",
    "FieldInfo",
    "Graph",
    "Key",
    "Principal",
    "Requirement",
    "Supergraph",
    "SupergraphError",
    "TypeInfo",
    "load_supergraph",
]
