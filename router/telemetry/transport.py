"""Subgraph fetches, observed: a client span per fetch (whose `traceparent` the subgraph continues) and a
count and latency sample per subgraph. Wraps any `Transport`, so the transport itself stays untouched."""

from __future__ import annotations

from time import perf_counter

from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer, set_span_in_context

from router.executor.transport import SubgraphFetchError, Transport
from router.telemetry.metrics import RouterMetrics


class ObservedTransport:
    def __init__(self, inner: Transport, metrics: RouterMetrics | None, tracer: Tracer | None) -> None:
        self.inner = inner
        self.metrics = metrics
        self.tracer = tracer

    async def post(self, service: str, url: str, body: bytes, headers: dict[str, str], dedup: bool) -> bytes:
        span = None
        if self.tracer is not None:
            span = self.tracer.start_span(
                f"fetch {service}", kind=SpanKind.CLIENT,
                attributes={"graphql.federation.subgraph": service, "url.full": url},
            )
            if span.is_recording():
                # The request's headers are shared by its fetches: each fetch sends its own span as parent.
                headers = dict(headers)
                propagate.inject(headers, context=set_span_in_context(span))
        started = perf_counter()
        try:
            data = await self.inner.post(service, url, body, headers, dedup)
        except SubgraphFetchError as exc:
            if self.metrics is not None:
                _, error, latency = self.metrics.fetch(service)
                error.inc()
                latency.observe(perf_counter() - started)
            if span is not None:
                span.set_status(Status(StatusCode.ERROR, str(exc)))
                span.end()
            raise
        except BaseException:
            if span is not None:
                span.end()
            raise
        if self.metrics is not None:
            ok, _, latency = self.metrics.fetch(service)
            ok.inc()
            latency.observe(perf_counter() - started)
        if span is not None:
            span.end()
        return data

    async def close(self) -> None:
        await self.inner.close()

