from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from libs.events import CloudEvent, InvalidEvent


def test_new_fills_the_required_context_attributes() -> None:
    e = CloudEvent.new("measurement.recorded", "/subgraphs/measurement", "m-1", {"value": 180})
    raw = orjson.loads(e.to_json())
    assert raw["specversion"] == "1.0"
    assert uuid.UUID(raw["id"]).version == 4
    assert raw["type"] == "measurement.recorded" and raw["source"] == "/subgraphs/measurement"
    assert raw["subject"] == "m-1" and raw["datacontenttype"] == "application/json"
    assert raw["data"] == {"value": 180}
    assert raw["time"].endswith("Z")
    assert e.timestamp is not None and abs(datetime.now(UTC) - e.timestamp) < timedelta(seconds=5)


def test_json_round_trip_keeps_every_attribute_and_extensions() -> None:
    e = CloudEvent.new("coaching.insight_created", "/subgraphs/coaching", None, {"nested": {"a": [1, 2.5]}},
                       id="fixed-id", extensions={"traceparent": "00-abc-def-01"})
    back = CloudEvent.from_json(e.to_json())
    assert back == e
    assert "subject" not in orjson.loads(e.to_json())


@pytest.mark.parametrize("body", [
    b"not json",
    b"[]",
    b'{"specversion": "1.0", "id": "x", "source": "s"}',
    b'{"specversion": "0.3", "id": "x", "source": "s", "type": "t"}',
    b'{"specversion": "1.0", "id": "", "source": "s", "type": "t"}',
    b'{"specversion": "1.0", "id": "x", "source": "s", "type": "t", "data": [1]}',
])
def test_from_json_refuses_what_is_not_a_cloudevent(body: bytes) -> None:
    with pytest.raises(InvalidEvent):
        CloudEvent.from_json(body)


def test_extension_names_follow_the_spec() -> None:
    with pytest.raises(InvalidEvent):
        CloudEvent.new("t", "s", None, {}, extensions={"Trace-Parent": "x"})
