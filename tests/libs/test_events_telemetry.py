"""Event consumers' metrics (outcomes, lag at scrape time) and the trace context a CloudEvent carries, against
the real Redis."""

from __future__ import annotations

import asyncio
import uuid

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import use_span
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from libs.config import Settings
from libs.events import CloudEvent, DropEvent, EventConsumer, EventPublisher
from libs.telemetry.metrics import exposition


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_outcomes_and_lag_are_counted(redis: Redis, settings: Settings) -> None:
    stream, group = f"t{uuid.uuid4().hex[:10]}", "metrics"
    attempts: dict[str, int] = {}

    async def handler(event: CloudEvent) -> None:
        attempts[event.id] = attempts.get(event.id, 0) + 1
        if event.data["kind"] == "drop":
            raise DropEvent("malformed")
        if event.data["kind"] == "flaky" and attempts[event.id] == 1:
            raise RuntimeError("once")

    consumer = EventConsumer(redis, settings, stream=stream, group=group, consumer="c1", handler=handler,
                             retry_base_ms=10)
    await consumer.ensure_group()
    publisher = EventPublisher(redis, settings)
    for kind in ("ok", "flaky", "drop"):
        await publisher.publish(stream, CloudEvent.new("test.happened", "/tests", kind, {"kind": kind}))
    await publisher.publish(stream, CloudEvent.new("test.happened", "/tests", "x", {"kind": "ok"}))
    await exposition()  # a scrape before handling: four undelivered
    assert _value("event_consumer_lag", stream=stream, group=group) == 4
    for _ in range(30):
        await consumer.process_once(block_ms=0)
        await asyncio.sleep(0.02)
    body, content_type = await exposition()
    assert content_type.startswith("text/plain") and b"event_consumer_lag" in body
    labels = {"stream": stream, "group": group}
    assert _value("events_handled_total", **labels, outcome="ok") == 3  # two ok, the flaky one at last
    assert _value("events_handled_total", **labels, outcome="retry") == 1
    assert _value("events_handled_total", **labels, outcome="dead") == 1
    assert _value("event_consumer_lag", **labels) == 0
    assert _value("event_consumer_pending", **labels) == 0
    assert _value("event_dead_letters", **labels) == 1
    assert _value("event_handling_duration_seconds_count", **labels) == 5


def test_an_event_made_under_a_span_carries_its_trace_context() -> None:
    assert "traceparent" not in CloudEvent.new("t.x", "/tests", None, {}).extensions  # no span: nothing
    span = TracerProvider().get_tracer("t").start_span("request")
    with use_span(span, end_on_exit=True):
        event = CloudEvent.new("t.x", "/tests", None, {})
        kept = CloudEvent.new("t.x", "/tests", None, {}, extensions={"traceparent": "00-" + "1" * 32 + "-"
                                                                       + "2" * 16 + "-01"})
    ctx = span.get_span_context()
    expected = f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"
    assert event.extensions["traceparent"] == expected
    assert CloudEvent.from_json(event.to_json()).extensions["traceparent"] == event.extensions["traceparent"]
    assert kept.extensions["traceparent"] == "00-" + "1" * 32 + "-" + "2" * 16 + "-01"  # given wins
