"""The router's edge: what is checked of a request before any subgraph is asked (persisted queries, the
safelist, introspection, depth / alias / root-field / cost limits, rate limits) and what every answer
carries (CORS, security headers). Settings per profile in `settings.py`; docs/ROUTER.md, "The edge"."""

from router.edge.guard import Edge, Refused
from router.edge.settings import EdgeSettings

__all__ = ["Edge", "EdgeSettings", "Refused"]
