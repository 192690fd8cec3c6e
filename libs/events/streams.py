"""Stream keys and the domain event types that cross subgraph boundaries (one place to look them up)."""

from __future__ import annotations

from libs.config import Settings

# stream name -> event types published on it (publishers own their stream).
MEASUREMENT_STREAM = "measurement"
MEASUREMENT_RECORDED = "measurement.recorded"

COACHING_STREAM = "coaching"
COACHING_INSIGHT_CREATED = "coaching.insight_created"

NOTIFICATION_STREAM = "notification"
NOTIFICATION_CREATED = "notification.created"


def stream_key(settings: Settings, stream: str) -> str:
    return settings.redis_key("events", stream)


def dead_letter_key(settings: Settings, stream: str, group: str) -> str:
    """Failures are per consumer group: one group's poison message is another group's success."""
    return settings.redis_key("events", stream, "dead", group)
