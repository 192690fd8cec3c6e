import json
import logging

import pytest

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
