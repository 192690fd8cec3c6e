"""Circuit breakers, shared by the router (per subgraph) and `libs` (per external provider).

A package of its own because the router may not import `libs`: both import this, and it imports neither.
No maintained breaker package fits (see `breaker.py`), so this is ours; it depends on nothing.
"""

from resilience.breaker import BreakerOpen, BreakerSettings, BreakerStatus, CircuitBreaker, State
from resilience.registry import Breakers

__all__ = ["BreakerOpen", "BreakerSettings", "BreakerStatus", "Breakers", "CircuitBreaker", "State"]
