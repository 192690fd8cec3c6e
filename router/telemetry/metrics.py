"""The router's Prometheus metrics, in a registry of its own, with children bound once (the hot path does a
dict lookup and an `inc`, never `labels()`).

Label values are bounded: operation names come from the executed document and are capped (`MAX_OPERATIONS`
distinct names, then `other`); subgraph names come from the supergraph; codes from `extensions.code` (capped
too, since a subgraph may invent codes). Never a user id.

Other parts of the router report through the module functions, which do nothing until metrics are on:
`count_refusal(kind)` for rate-limit refusals, `count_error(code)` for refusals answered outside the
gateway, `watch_breakers(source)` for circuit-breaker state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MAX_OPERATIONS = 300
MAX_CODES = 100
OTHER = "other"
# Latency buckets (seconds) for a GraphQL API: 1 ms .. 10 s.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BREAKER_STATES = ("closed", "half_open", "open")

BreakerSource = Callable[[], Mapping[str, str]]  # subgraph -> "closed" | "half_open" | "open"


_breaker_sources: list[BreakerSource] = []


class _Breakers(Collector):
    """Reads breaker states at scrape time from whoever owns the breakers (read-only)."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "router_subgraph_breaker_state",
            "Circuit breaker per subgraph: 1 for its current state (closed, half_open, open), else 0.",
            labels=["subgraph", "state"],
        )
        for source in _breaker_sources:
            for subgraph, state in source().items():
                for s in BREAKER_STATES:
                    family.add_metric([subgraph, s], 1.0 if state == s else 0.0)
        yield family


class RouterMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "router_requests", "GraphQL operations answered, per operation name and type",
            ["operation", "type"], registry=r,
        )
        self.latency = Histogram(
            "router_request_duration_seconds", "Time to answer an operation", ["operation"],
            buckets=BUCKETS, registry=r,
        )
        self.errors = Counter(
            "router_errors", "GraphQL errors sent to clients, by extensions.code", ["code"], registry=r
        )
        self.fetches = Counter(
            "router_subgraph_requests", "Requests to subgraphs, per subgraph and outcome (ok, error)",
            ["subgraph", "outcome"], registry=r,
        )
        self.fetch_latency = Histogram(
            "router_subgraph_request_duration_seconds", "Time of one subgraph request", ["subgraph"],
            buckets=BUCKETS, registry=r,
        )
        self.refusals = Counter(
            "router_rate_limited", "Requests refused by a rate limit, per limit class", ["limit"], registry=r
        )
        self.in_flight = Gauge("router_requests_in_flight", "Operations being answered", registry=r)
        self.started = Gauge("router_start_time_seconds", "When this router process started", registry=r)
        self.started.set(time.time())
        r.register(_Breakers())
        self._ops: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._codes: dict[str, Any] = {}
        self._fetch: dict[str, tuple[Any, Any, Any]] = {}

    def operation(self, name: str | None, op_type: str) -> tuple[Any, Any]:
        """(requests child, latency child) of one operation, bound once."""
        key = (name or "anonymous", op_type)
        hit = self._ops.get(key)
        if hit is None:
            if len(self._ops) >= MAX_OPERATIONS:
                key = (OTHER, op_type)
                hit = self._ops.get(key)
            if hit is None:
                hit = (self.requests.labels(key[0], op_type), self.latency.labels(key[0]))
                self._ops[key] = hit
        return hit

    def error(self, code: Any) -> None:
        key = code if isinstance(code, str) and code else "NONE"
        child = self._codes.get(key)
        if child is None:
            if len(self._codes) >= MAX_CODES:
                key = OTHER
            child = self._codes.get(key) or self.errors.labels(key)
            self._codes[key] = child
        child.inc()

    def errors_of(self, errors: Iterable[Mapping[str, Any]]) -> None:
        for e in errors:
            ext = e.get("extensions")
            self.error(ext.get("code") if isinstance(ext, Mapping) else None)

    def fetch(self, subgraph: str) -> tuple[Any, Any, Any]:
        """(ok child, error child, latency child) of one subgraph."""
        hit = self._fetch.get(subgraph)
        if hit is None:
            hit = (
                self.fetches.labels(subgraph, "ok"),
                self.fetches.labels(subgraph, "error"),
                self.fetch_latency.labels(subgraph),
            )
            self._fetch[subgraph] = hit
        return hit


_active: RouterMetrics | None = None


def activate(metrics: RouterMetrics | None) -> None:
    global _active
    _active = metrics


def active() -> RouterMetrics | None:
    return _active


def count_refusal(limit: str) -> None:
    """A request refused by a rate limit of class `limit` (e.g. "auth", "payment", "default")."""
    if _active is not None:
        _active.refusals.labels(limit).inc()


def count_error(code: str) -> None:
    """An error answered outside the gateway (transport refusals); results are counted by the router."""
    if _active is not None:
        _active.error(code)


def watch_breakers(source: BreakerSource) -> None:
    """`source()` -> {subgraph: "closed" | "half_open" | "open"}, read at every scrape (may be called before
    metrics are on)."""
    _breaker_sources.append(source)
