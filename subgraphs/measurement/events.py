"""`measurement.recorded` on Redis Streams (the relay that delivers what Redis missed is in worker.py).

Each measurement document carries its event id as an outbox marker until the event is on the stream
(MongoDB has no cross-collection transaction on a standalone server, so the marker lives on the document
itself: stored together or not at all). Publishing happens right after the insert; if Redis is down the
request still succeeds and the relay republishes later, with the same event id so consumers deduplicate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from libs.config import Settings
from libs.events import CloudEvent, EventPublisher
from libs.events.publisher import entry_fields
from libs.events.streams import MEASUREMENT_RECORDED, MEASUREMENT_STREAM, stream_key
from libs.time import as_utc
from subgraphs.measurement.domain import Measurement
from subgraphs.measurement.integrity import record_digest

log = logging.getLogger("manpasik.measurement.events")

SOURCE = "/subgraphs/measurement"
# A publish slower than this is treated as failed (the relay retries): a slow Redis never stalls a request.
PUBLISH_TIMEOUT_S = 2.0


def event_data(m: Measurement) -> dict[str, Any]:
    return {
        "measurementId": m.id,
        "userId": m.user_id,
        "type": m.type.value,
        "loinc": m.loinc,
        "value": m.value,
        "unit": m.unit,
        "components": [
            {"code": c.code, "loinc": c.loinc, "value": c.value, "unit": c.unit} for c in m.components
        ],
        "takenAt": as_utc(m.taken_at).isoformat().replace("+00:00", "Z"),
        "source": m.source.value,
        "context": m.context.value if m.context else None,
        "clientId": m.client_id,
    }


def recorded_event(m: Measurement, event_id: str) -> CloudEvent:
    return CloudEvent.new(
        type=MEASUREMENT_RECORDED,
        source=SOURCE,
        subject=m.user_id,
        data={**event_data(m), "digest": record_digest(m)},  # chained by the data subgraph (integrity.py)
        id=event_id,
    )


class RedisEventSink:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self.publisher = EventPublisher(redis, settings)

    async def measurements_recorded(self, recorded: Sequence[tuple[Measurement, str]]) -> bool:
        # One pipelined round trip of the same XADDs EventPublisher.publish sends one by one.
        key = stream_key(self.settings, MEASUREMENT_STREAM)
        maxlen = self.settings.event_stream_maxlen or None
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for m, event_id in recorded:
                    pipe.xadd(key, entry_fields(recorded_event(m, event_id)), maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
                await asyncio.wait_for(pipe.execute(), PUBLISH_TIMEOUT_S)
        except Exception as e:
            log.warning(
                "%d %s events not published now (%r); the relay will retry",
                len(recorded),
                MEASUREMENT_RECORDED,
                e,
            )
            return False
        return True

    async def measurement_recorded(self, measurement: Measurement, event_id: str) -> bool:
        try:
            await asyncio.wait_for(
                self.publisher.publish(
                    stream=MEASUREMENT_STREAM, event=recorded_event(measurement, event_id)
                ),
                PUBLISH_TIMEOUT_S,
            )
        # Unreachable, timed out, read-only replica...: all mean "not on the stream yet".
        except Exception as e:
            log.warning(
                "%s %s not published now (%r); the relay will retry", MEASUREMENT_RECORDED, event_id, e
            )
            return False
        return True
