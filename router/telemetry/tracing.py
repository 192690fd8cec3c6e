"""OpenTelemetry tracing for the router, configured by the standard OTEL_* environment.

On only when an OTLP endpoint is given (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
and neither `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none` says otherwise, so a router without them
creates no span at all. Spans leave over OTLP/HTTP (protobuf) from a batch processor's thread; sampling
is the SDK's (`OTEL_TRACES_SAMPLER`, default parentbased_always_on, `OTEL_TRACES_SAMPLER_ARG`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry.trace import Tracer

TRACER_NAME = "manpasik.router"


def tracing_configured(env: Mapping[str, str] = os.environ) -> bool:
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    if env.get("OTEL_TRACES_EXPORTER", "otlp").lower() == "none":
        return False
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


class Tracing:
    """A tracer provider of this process (not the global one) exporting over OTLP/HTTP."""

    def __init__(self, service: str) -> None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over our default name.
        attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service}
        self.provider = TracerProvider(resource=Resource.create(attributes))
        self.provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        self.tracer: Tracer = self.provider.get_tracer(TRACER_NAME)

    def shutdown(self) -> None:
        """Flushes what is queued (bounded by the exporter's timeout) and stops the export thread."""
        self.provider.shutdown()
