"""What telemetry a router process has, from its environment: `Telemetry.from_env()`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from router.executor.transport import Transport
from router.telemetry import metrics as metrics_module
from router.telemetry.metrics import RouterMetrics
from router.telemetry.requests import Observation
from router.telemetry.tracing import Tracing, tracing_configured
from router.telemetry.transport import ObservedTransport

OFF = ("0", "false", "no", "off")


class Telemetry:
    def __init__(self, metrics: RouterMetrics | None, tracing: Tracing | None) -> None:
        self.metrics = metrics
        self.tracing = tracing
        self.tracer = tracing.tracer if tracing is not None else None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, service: str = "router") -> Telemetry | None:
        """Metrics unless `ROUTER_METRICS=off`; traces when the OTEL_* variables name an OTLP endpoint. None
        when both are off: the router then runs exactly as without this package."""
        metrics = None
        if env.get("ROUTER_METRICS", "on").lower() not in OFF:
            metrics = RouterMetrics()
            for collector in (ProcessCollector, PlatformCollector, GCCollector):
                collector(registry=metrics.registry)
            metrics_module.activate(metrics)
        tracing = Tracing(service) if tracing_configured(env) else None
        if metrics is None and tracing is None:
            return None
        return cls(metrics, tracing)

    def instrument(self, transport: Transport) -> Transport:
        return ObservedTransport(transport, self.metrics, self.tracer)

    def request(self, headers: Any) -> Observation:
        return Observation(self.metrics, self.tracer, headers)

    async def serve_metrics(self, request: web.Request) -> web.Response:
        if self.metrics is None:
            return web.Response(status=404, text="metrics are off (ROUTER_METRICS=off)\n")
        body = generate_latest(self.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def shutdown(self) -> None:
        metrics_module.activate(None)
        if self.tracing is not None:
            self.tracing.shutdown()
