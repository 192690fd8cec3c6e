"""Query planning: normalise the operation, then decide which subgraph fetches what, in which order."""

from router.planner.builder import PlanError, build_plan
from router.planner.explain import explain_plan
from router.planner.operation import NormField, OperationError, normalize_operation
from router.planner.plan import FetchNode, QueryPlan

__all__ = [
    "FetchNode",
    "NormField",
    "OperationError",
    "PlanError",
    "QueryPlan",
    "build_plan",
    "explain_plan",
    "normalize_operation",
]
