"""The router's telemetry parts on their own: bounded metric labels, the hooks other parts report through,
and log lines that carry the request and trace ids."""

from __future__ import annotations

import json
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import use_span
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from router.telemetry import Telemetry, metrics
from router.telemetry.logs import configure_logging, request_id_var
from router.telemetry.metrics import MAX_OPERATIONS, RouterMetrics
from router.telemetry.tracing import tracing_configured


def _samples(m: RouterMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(m.registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


def test_operation_names_are_capped() -> None:
    m = RouterMetrics()
    for i in range(MAX_OPERATIONS + 50):  # a client inventing names cannot grow the series without bound
        requests, _ = m.operation(f"Op{i}", "query")
        requests.inc()
    samples = _samples(m)
    names = {dict(labels)["operation"] for (name, labels) in samples if name == "router_requests_total"}
    assert len(names) == MAX_OPERATIONS + 1 and "other" in names
    assert samples[("router_requests_total", (("operation", "other"), ("type", "query")))] == 50


def test_error_codes_and_refusals_and_breakers_through_the_module_hooks() -> None:
    m = RouterMetrics()
    metrics.activate(m)
    try:
        metrics.count_error("RATE_LIMITED")
        metrics.count_refusal("auth")
        metrics.count_refusal("auth")
        m.errors_of([{"extensions": {"code": "FORBIDDEN"}}, {"message": "no code"}])
        states = {"auth": "open", "payment": "closed"}
        metrics.watch_breakers(lambda: states)
        samples = _samples(m)
    finally:
        metrics.activate(None)
        metrics._breaker_sources.clear()
    assert samples[("router_errors_total", (("code", "RATE_LIMITED"),))] == 1
    assert samples[("router_errors_total", (("code", "FORBIDDEN"),))] == 1
    assert samples[("router_errors_total", (("code", "NONE"),))] == 1
    assert samples[("router_rate_limited_total", (("limit", "auth"),))] == 2
    assert samples[("router_subgraph_breaker_state", (("state", "open"), ("subgraph", "auth")))] == 1
    assert samples[("router_subgraph_breaker_state", (("state", "closed"), ("subgraph", "auth")))] == 0
    assert samples[("router_subgraph_breaker_state", (("state", "closed"), ("subgraph", "payment")))] == 1
    metrics.count_refusal("auth")  # inactive: nothing to count into, and no error


def test_tracing_is_off_unless_an_endpoint_is_named() -> None:
    assert not tracing_configured({})
    assert tracing_configured({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing_configured({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"})
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}
    assert not tracing_configured({**endpoint, "OTEL_SDK_DISABLED": "true"})
    assert not tracing_configured({**endpoint, "OTEL_TRACES_EXPORTER": "none"})
    assert Telemetry.from_env({"ROUTER_METRICS": "off"}) is None  # nothing on: the router runs as without it


def test_log_lines_carry_request_and_trace_ids(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    span = TracerProvider().get_tracer("t").start_span("graphql")
    try:
        configure_logging("INFO", json=True)
        token = request_id_var.set("req-7")
        with use_span(span, end_on_exit=True):
            logging.getLogger("router.server").warning("internal error while executing an operation")
        request_id_var.reset(token)
        logging.getLogger("router.server").info("outside a request")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    lines = [json.loads(ln) for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    inside, outside = lines
    ctx = span.get_span_context()
    assert inside["trace_id"] == format(ctx.trace_id, "032x")
    assert inside["span_id"] == format(ctx.span_id, "016x")
    assert inside["request_id"] == "req-7" and inside["service"] == "router" and inside["level"] == "WARNING"
    assert outside["trace_id"] is None and outside["request_id"] is None
