"""Subgraph fetches, observed: a client span per fetch (whose `traceparent` the subgraph continues) and a
count and latency sample per subgraph. Wraps any `Transport`, so the transport itself stays untouched."""

from __future__ import annotations

from time import perf_counter

from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer, get_current_span, set_span_in_context

from router.executor.transport import SubgraphFetchError, Transport
from router.telemetry.metrics import RouterMetrics


class ObservedTransport:
    def __init__(self, inner: Transport, metrics: RouterMetrics | None, tracer: Tracer | None) -> None:
        self.inner = inner
        self.metrics = metrics
        self.tracer = tracer
        self._unsampled: tuple[int, str] = (0, "")  # (span id, traceparent) of the last unsampled request

    async def post(
        self,
        service: str,
        url: str,
        body: bytes,
        headers: dict[str, str],
        dedup: bool,
        idempotent: bool = False,
    ) -> bytes:
        span = None
        if self.tracer is not None:
            parent = get_current_span()
            if parent.is_recording():
                attributes = {"graphql.federation.subgraph": service}
                span = self.tracer.start_span(f"fetch {service}", kind=SpanKind.CLIENT, attributes=attributes)
                # The request's headers are shared by its fetches: each fetch sends its own span as parent.
                headers = dict(headers)
                propagate.inject(headers, context=set_span_in_context(span))
            else:
                # A request the sampler left out: no span (they cost ~50 us each), but the subgraph still
                # learns the decision (sampled flag 0), so it leaves its part out too.
                ctx = parent.get_span_context()
                if ctx.is_valid:
                    if ctx.span_id != self._unsampled[0]:  # one request's fetches share it: format once
                        self._unsampled = (ctx.span_id, f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-00")
                    headers = {**headers, "traceparent": self._unsampled[1]}
        started = perf_counter()
        try:
            data = await self.inner.post(service, url, body, headers, dedup, idempotent)
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

