"""The process's tracer (configured once, from OTEL_*), and trace context carried in CloudEvents.

On only when an OTLP endpoint is given (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
and neither `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none`; otherwise `tracer()` is None and
nothing creates spans. Export: OTLP/HTTP protobuf from a batch processor's thread; sampling from
`OTEL_TRACES_SAMPLER` (parent-based by default, so the router's decision holds downstream).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACER_NAME = "manpasik"
# The CloudEvents Distributed Tracing extension's attributes (W3C Trace Context values).
TRACE_ATTRIBUTES = ("traceparent", "tracestate")

_w3c = TraceContextTextMapPropagator()
_provider: Any = None
_tracer: Tracer | None = None


def tracing_configured(env: Mapping[str, str] = os.environ) -> bool:
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    if env.get("OTEL_TRACES_EXPORTER", "otlp").lower() == "none":
        return False
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def configure_tracing(service: str) -> Tracer | None:
    """Sets up this process's tracer once (the first caller names the service); later calls return it."""
    global _provider, _tracer
    if _provider is not None or not tracing_configured():
        return _tracer
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service}
    _provider = TracerProvider(resource=Resource.create(attributes))
    _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _tracer = _provider.get_tracer(TRACER_NAME)
    return _tracer


def tracer() -> Tracer | None:
    return _tracer


def flush_tracing() -> None:
    """Exports what is queued (at shutdown; the provider stays usable), waiting 5 s at most."""
    if _provider is not None:
        _provider.force_flush(timeout_millis=5000)


# -- CloudEvents ---------------------------------------------------------------------------------------------

def trace_extensions() -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the current span, for a CloudEvent being made; {} without one."""
    if not trace.get_current_span().get_span_context().is_valid:
        return {}
    carrier: dict[str, str] = {}
    _w3c.inject(carrier)
    return carrier


def _context_of(extensions: Mapping[str, str]) -> otel_context.Context | None:
    if "traceparent" not in extensions:
        return None
    return _w3c.extract({k: extensions[k] for k in TRACE_ATTRIBUTES if k in extensions})


@contextlib.contextmanager
def consuming(
    events: Sequence[Any], stream: str, group: str
) -> Iterator[None]:
    """A consumer span around handling `events` (CloudEvents): one event's span is the child of the span that
    created it; a batch's span links to each event's."""
    t = _tracer
    if t is None:
        yield
        return
    contexts = [_context_of(e.extensions) for e in events]
    parent = contexts[0] if len(events) == 1 else None
    links = [] if parent is not None else [
        Link(trace.get_current_span(c).get_span_context()) for c in contexts if c is not None
    ]
    name = f"process {events[0].type}" if len(events) == 1 else f"process {stream} batch"
    attributes: dict[str, Any] = {
        "messaging.system": "redis",
        "messaging.operation.type": "process",
        "messaging.destination.name": stream,
        "messaging.consumer.group.name": group,
        "messaging.batch.message_count": len(events),
    }
    if len(events) == 1:
        attributes["messaging.message.id"] = events[0].id
        attributes["cloudevents.event_type"] = events[0].type
        attributes["cloudevents.event_source"] = events[0].source
    with t.start_as_current_span(
        name, context=parent or otel_context.Context(), kind=SpanKind.CONSUMER, links=links,
        attributes=attributes, record_exception=True, set_status_on_exception=False,
    ) as span:
        try:
            yield
        except BaseException as exc:
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
