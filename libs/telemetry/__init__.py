"""Telemetry of the subgraph and worker processes: OpenTelemetry traces over OTLP, Prometheus metrics.

- `tracing`: the process's tracer, configured from the standard OTEL_* environment (off without an OTLP
  endpoint); W3C trace context in and out of CloudEvents (the Distributed Tracing extension's `traceparent`
  and `tracestate` attributes), so an event consumer's span is a child of the span that published.
- `metrics`: requests, latency and errors by `extensions.code` per operation, events handled and consumer
  lag, in the default Prometheus registry (with the process collectors); `/metrics` of every subgraph.
- `asgi`: a server span per HTTP request that continues the caller's `traceparent`.
- `extension`: the Strawberry extension that names that span after the operation and counts it (one per
  request, not per resolver).
- `server`: `/metrics` for processes without a web server of their own (`manpasik worker`).

The router, which imports nothing of ours, has the same in `router.telemetry`.
"""
