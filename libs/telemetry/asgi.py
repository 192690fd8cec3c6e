"""A server span per HTTP request (continuing the caller's W3C `traceparent`, e.g. the router's fetch span),
current while the app answers, so log lines, events created and the operation's name land on it; and the
subgraph's name for the operation metrics."""

from __future__ import annotations

from opentelemetry import context, propagate
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.telemetry import metrics, tracing

UNTRACED = ("/health", "/ready", "/metrics")


class TelemetryMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        service_token = metrics.service_var.set(self.service)
        tracer = tracing.tracer()
        try:
            if tracer is None or scope["type"] != "http" or scope["path"] in UNTRACED:
                await self.app(scope, receive, send)
                return
            carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
                       if k in (b"traceparent", b"tracestate")}
            parent = propagate.extract(carrier)
            span = tracer.start_span(
                f"{scope['method']} {scope['path']}", context=parent, kind=SpanKind.SERVER,
                attributes={"http.request.method": scope["method"], "url.path": scope["path"],
                            "service.component": self.service},
            )
            token = context.attach(set_span_in_context(span, parent))
            status = 500

            async def sending(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await self.app(scope, receive, sending)
            except BaseException as exc:
                span.record_exception(exc)
                raise
            finally:
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                context.detach(token)
                span.end()
        finally:
            metrics.service_var.reset(service_token)
