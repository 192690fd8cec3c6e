"""One /graphql request, observed: a server span continuing the client's `traceparent` (current while the
gateway runs, so every fetch is its child), the request id for log lines, and on completion the count,
latency and error codes of its operation."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from contextvars import Token
from time import perf_counter
from typing import TYPE_CHECKING, Any

from opentelemetry import context, propagate
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, set_span_in_context

from router.telemetry.logs import request_id_var

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

    from router.gateway.prepare import PreparedOperation
    from router.telemetry.metrics import RouterMetrics


class Observation:
    __slots__ = ("_ctx_token", "_rid_token", "metrics", "span", "started")

    def __init__(self, metrics: RouterMetrics | None, tracer: Tracer | None, headers: Any) -> None:
        """`headers`: the gateway's view of the request headers (`router.server.edge_auth.ForwardedFor`);
        a request id made here is the one the subgraphs get."""
        self.metrics = metrics
        self.started = perf_counter()
        rid = headers.get("x-request-id")
        if not rid:
            rid = headers.request_id = uuid.uuid4().hex
        self._rid_token: Token[str | None] = request_id_var.set(rid)
        self.span: Span | None = None
        self._ctx_token: object = None
        if tracer is not None:
            parent = propagate.extract(headers)
            span = tracer.start_span("graphql", context=parent, kind=SpanKind.SERVER)
            self.span = span
            self._ctx_token = context.attach(set_span_in_context(span, parent))
        if self.metrics is not None:
            self.metrics.in_flight.inc()

    def finish(
        self,
        prep: PreparedOperation | None,
        errors: Iterable[Mapping[str, Any]] = (),
        op_type: str = "invalid",
    ) -> None:
        """`prep`: the operation that ran (None when the request was refused before one was chosen)."""
        name = None
        if prep is not None:
            op_type = prep.operation_type
            name = prep.operation.name.value if prep.operation.name is not None else None
        m = self.metrics
        if m is not None:
            m.in_flight.dec()
            requests, latency = m.operation(name, op_type)
            requests.inc()
            latency.observe(perf_counter() - self.started)
            if errors:
                m.errors_of(errors)
        span = self.span
        if span is not None:
            if span.is_recording():
                span.update_name(f"{op_type} {name}" if name else op_type)
                span.set_attribute("graphql.operation.type", op_type)
                if name:
                    span.set_attribute("graphql.operation.name", name)
                codes = sorted({str((e.get("extensions") or {}).get("code")) for e in errors})
                if codes:
                    span.set_attribute("graphql.error.codes", codes)
            span.end()
            context.detach(self._ctx_token)  # type: ignore[arg-type]
        request_id_var.reset(self._rid_token)

    def crashed(self, exc: BaseException) -> None:
        if self.span is not None:
            self.span.record_exception(exc)
            self.span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        self.finish(None, ({"extensions": {"code": "INTERNAL_SERVER_ERROR"}},), "failed")
