"""Prometheus metrics of the subgraph and worker processes, in the default registry (beside the process,
platform and GC collectors `prometheus_client` registers there).

Label values stay bounded: `service` is the subgraph's name, `operation` the operation name or else its root
fields (names of the schema), capped at `MAX_OPERATIONS` per service; codes are capped; streams and groups are
constants of the code. Never a user id.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any, Protocol

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

log = logging.getLogger("manpasik.telemetry")

MAX_OPERATIONS = 300
MAX_CODES = 100
OTHER = "other"
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# The subgraph serving the current request (set by its ASGI middleware; tests serve several in one process).
service_var: ContextVar[str] = ContextVar("service", default="unknown")

REQUESTS = Counter(
    "subgraph_requests", "GraphQL operations executed, per operation and type",
    ["service", "operation", "type"],
)
LATENCY = Histogram(
    "subgraph_request_duration_seconds", "Time to execute an operation", ["service", "operation"],
    buckets=BUCKETS,
)
ERRORS = Counter("subgraph_errors", "GraphQL errors answered, by extensions.code", ["service", "code"])
EVENTS = Counter(
    "events_handled", "Events handled by a consumer group, per outcome (ok, retry, dead)",
    ["stream", "group", "outcome"],
)
EVENT_LATENCY = Histogram(
    "event_handling_duration_seconds", "Time a handler took for one event (or one batch)",
    ["stream", "group"], buckets=BUCKETS,
)
LAG = Gauge("event_consumer_lag", "Entries in the stream not yet delivered to the group", ["stream", "group"])
PENDING = Gauge("event_consumer_pending", "Entries delivered to the group, not yet acknowledged",
                ["stream", "group"])
DEAD = Gauge("event_dead_letters", "Entries in the group's dead-letter stream", ["stream", "group"])

_ops: dict[tuple[str, str, str], tuple[Any, Any]] = {}
_codes: dict[tuple[str, str], Any] = {}
_per_service: dict[str, int] = {}


def operation(service: str, name: str, op_type: str) -> tuple[Any, Any]:
    """(requests child, latency child), bound once per (service, operation, type)."""
    key = (service, name, op_type)
    hit = _ops.get(key)
    if hit is None:
        if _per_service.get(service, 0) >= MAX_OPERATIONS:
            key = (service, OTHER, op_type)
            hit = _ops.get(key)
        if hit is None:
            _per_service[service] = _per_service.get(service, 0) + 1
            hit = (REQUESTS.labels(service, key[1], op_type), LATENCY.labels(service, key[1]))
            _ops[key] = hit
    return hit


def count_errors(service: str, codes: Iterable[str]) -> None:
    for code in codes:
        key = (service, code)
        child = _codes.get(key)
        if child is None:
            if len(_codes) >= MAX_CODES:
                key = (service, OTHER)
            child = _codes.get(key) or ERRORS.labels(*key)
            _codes[key] = child
        child.inc()


# -- consumer lag --------------------------------------------------------------------------------------------

class LagSource(Protocol):
    """What an event consumer offers (`libs.events.EventConsumer`): its names and its backlog."""

    stream: str
    group: str

    async def lag(self) -> Any: ...


_consumers: weakref.WeakSet[Any] = weakref.WeakSet()


def watch_consumer(consumer: LagSource) -> None:
    """Reports this consumer's backlog at every scrape of this process (for as long as it exists)."""
    _consumers.add(consumer)


async def refresh_lag() -> None:
    """Reads each watched consumer group's backlog from Redis into the gauges (before a scrape)."""
    seen: set[tuple[str, str]] = set()
    for consumer in list(_consumers):
        key = (consumer.stream, consumer.group)
        if key in seen:
            continue
        seen.add(key)
        try:
            lag = await consumer.lag()
        except Exception as e:  # Redis away: keep the last values, say so once per scrape
            log.warning("consumer lag of %s/%s unavailable: %r", *key, e)
            continue
        LAG.labels(*key).set(lag.lag if lag.lag is not None else float("nan"))
        PENDING.labels(*key).set(lag.pending)
        DEAD.labels(*key).set(lag.dead_letters)


async def exposition() -> tuple[bytes, str]:
    """The body and content type of a `/metrics` answer."""
    await refresh_lag()
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
