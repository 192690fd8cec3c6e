import json
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import use_span

from libs.logging import configure_logging, request_id_var


def test_json_lines_carry_service_and_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("auth", "INFO", json=True)
        token = request_id_var.set("req-42")
        logging.getLogger("manpasik.test").info("signed up", extra={"user_id": "u1"})
        request_id_var.reset(token)
        logging.getLogger("manpasik.test").debug("not shown at INFO")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["service"] == "auth"
    assert record["request_id"] == "req-42"
    assert record["message"] == "signed up"
    assert record["user_id"] == "u1"
    assert record["level"] == "INFO"


def test_json_lines_carry_the_current_span(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    span = TracerProvider().get_tracer("t").start_span("POST /graphql")
    try:
        configure_logging("auth", "INFO", json=True)
        token = request_id_var.set("req-43")
        with use_span(span, end_on_exit=True):
            logging.getLogger("manpasik.test").info("in a span")
        request_id_var.reset(token)
        logging.getLogger("manpasik.test").info("outside")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    inside, outside = (json.loads(ln) for ln in capsys.readouterr().out.splitlines() if ln.strip())
    ctx = span.get_span_context()
    assert inside["trace_id"] == format(ctx.trace_id, "032x")
    assert inside["span_id"] == format(ctx.span_id, "016x")
    assert inside["request_id"] == "req-43"
    assert outside["trace_id"] is None and outside["span_id"] is None
