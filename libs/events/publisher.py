"""Publishing: one XADD per event into the stream's key, trimmed approximately so memory stays bounded."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from libs.config import Settings
from libs.events.envelope import CloudEvent
from libs.events.streams import stream_key


def entry_fields(event: CloudEvent) -> dict[str, str]:
    # `type` and `id` beside the envelope let tools (redis-cli, dashboards) filter without parsing JSON.
    return {"type": event.type, "id": event.id, "event": event.to_json()}


class EventPublisher:
    def __init__(self, redis: Redis, settings: Settings, *, maxlen: int | None = None) -> None:
        self.redis = redis
        self.settings = settings
        self.maxlen = settings.event_stream_maxlen if maxlen is None else maxlen

    async def publish(self, stream: str, event: CloudEvent) -> str:
        """Appends the event; returns its stream entry id."""
        entry_id = await self.redis.xadd(
            stream_key(self.settings, stream), entry_fields(event),  # type: ignore[arg-type]
            maxlen=self.maxlen or None, approximate=True,
        )
        return entry_id if isinstance(entry_id, str) else entry_id.decode()

    async def publish_many(self, events: Sequence[tuple[str, CloudEvent]]) -> list[str]:
        """Appends (stream, event) pairs in order, in one pipelined round trip; returns their entry ids."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for stream, event in events:
                pipe.xadd(stream_key(self.settings, stream), entry_fields(event),  # type: ignore[arg-type]
                          maxlen=self.maxlen or None, approximate=True)
            ids = await pipe.execute()
        return [i if isinstance(i, str) else i.decode() for i in ids]
