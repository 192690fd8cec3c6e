"""The streams the admin subgraph reads (as consumer group `admin`) and how it replays them for a rebuild."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from libs.config import Settings
from libs.events import CloudEvent, InvalidEvent
from libs.events.streams import (
    AUTH_STREAM,
    COACHING_STREAM,
    CONSULTATION_STREAM,
    DATA_STREAM,
    MEASUREMENT_STREAM,
    PAYMENT_STREAM,
    TRANSLATION_STREAM,
    stream_key,
)

# Every stream an analytics figure or an admin action comes from (libs.events.streams names the types).
READ_STREAMS = (AUTH_STREAM, MEASUREMENT_STREAM, COACHING_STREAM, PAYMENT_STREAM, CONSULTATION_STREAM,
                DATA_STREAM, TRANSLATION_STREAM)
PAGE = 1000


async def replay(redis: Redis, settings: Settings) -> list[CloudEvent]:
    """Every event still held by the streams (EVENT_STREAM_MAXLEN bounds how far back that goes)."""
    events: list[CloudEvent] = []
    for stream in READ_STREAMS:
        start = "-"
        while True:
            entries: list[Any] = await redis.xrange(stream_key(settings, stream), min=start, max="+",
                                                    count=PAGE) or []
            for _entry_id, fields in entries:
                event = _decode(fields or {})
                if event is not None:
                    events.append(event)
            if len(entries) < PAGE:
                break
            start = "(" + _text(entries[-1][0])
    return events


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _decode(fields: dict[bytes | str, bytes | str]) -> CloudEvent | None:
    raw = next((v for k, v in fields.items() if _text(k) == "event"), None)
    if raw is None:
        return None
    try:
        return CloudEvent.from_json(_text(raw))
    except InvalidEvent:
        return None  # the live consumer dead-letters these; a replay skips them the same way
