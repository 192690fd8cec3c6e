"""@defer (incremental delivery): operations split into a primary part and deferred parts, each planned and
executed by the ordinary planner and executor; the transports deliver the payloads."""

from router.defer.results import (
    DEFER_BAD_HEADER,
    deferred_operation,
    deferred_results,
    split_request,
    uses_defer,
)

__all__ = ["DEFER_BAD_HEADER", "deferred_operation", "deferred_results", "split_request", "uses_defer"]
