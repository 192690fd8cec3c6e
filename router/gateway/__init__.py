"""The request pipeline of the router, independent of the HTTP server."""

from router.gateway.gateway import FORWARDED_HEADERS, Gateway
from router.gateway.prepare import OperationCache, RequestError

__all__ = ["FORWARDED_HEADERS", "Gateway", "OperationCache", "RequestError"]
