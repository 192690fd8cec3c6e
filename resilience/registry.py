"""One breaker per name (a subgraph, a provider), created on first use with the shared settings."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping

from resilience.breaker import BreakerSettings, BreakerStatus, CircuitBreaker, StateListener


class Breakers:
    def __init__(
        self,
        settings: BreakerSettings | None = None,
        overrides: Mapping[str, BreakerSettings] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: StateListener | None = None,
    ) -> None:
        self.settings = settings or BreakerSettings()
        self.overrides = dict(overrides or {})
        self.clock = clock
        self.on_change = on_change
        self._by_name: dict[str, CircuitBreaker] = {}

    def get(self, name: str) -> CircuitBreaker:
        breaker = self._by_name.get(name)
        if breaker is None:
            settings = self.overrides.get(name, self.settings)
            breaker = CircuitBreaker(name, settings, clock=self.clock, on_change=self.on_change)
            self._by_name[name] = breaker
        return breaker

    def statuses(self) -> list[BreakerStatus]:
        """Every breaker's state, by name (read-only: for /metrics and health pages)."""
        return [self._by_name[n].status() for n in sorted(self._by_name)]

    def __iter__(self) -> Iterator[CircuitBreaker]:
        return iter(list(self._by_name.values()))
