"""Telemetry of the router: Prometheus metrics (`/metrics`), OpenTelemetry traces (OTLP), JSON logs.

    telemetry = Telemetry.from_env()        # metrics unless ROUTER_METRICS=off; traces when OTEL_* say where
    transport = telemetry.instrument(transport)   # a span and a sample per subgraph fetch
    observation = telemetry.request(request)      # per /graphql request: span + counters, see `requests.py`

The router imports nothing of the platform, so this package is its own (the subgraphs' is `libs.telemetry`);
both export the same kind of names so one dashboard reads them (`docker/grafana/`). Other parts of the router
report through `router.telemetry.metrics`: `count_refusal(kind)` (rate limits), `count_error(code)`,
`watch_breakers(source)` (circuit-breaker state).
"""

from router.telemetry.setup import Telemetry

__all__ = ["Telemetry"]
