"""Executing query plans against subgraphs and shaping the client's answer."""

from router.executor.complete import complete
from router.executor.execute import PlanExecutor
from router.executor.transport import AiohttpTransport, SubgraphFetchError, Transport

__all__ = ["AiohttpTransport", "PlanExecutor", "SubgraphFetchError", "Transport", "complete"]
