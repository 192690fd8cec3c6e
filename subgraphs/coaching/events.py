"""What the coaching subgraph publishes: `coaching.insight_created` on its stream (through the outbox), and
the live topic its subscription listens to (fed from that stream by the worker)."""

from __future__ import annotations

from typing import Any

from libs.events import CloudEvent
from libs.events.streams import COACHING_INSIGHT_CREATED
from libs.time import as_utc
from subgraphs.coaching.domain import Person
from subgraphs.coaching.models import InsightRow

SOURCE = "/subgraphs/coaching"
LIVE_TOPIC = "coaching"  # LiveHub topic: {"insightId"} per new insight, on its owner's channel
LIVE_GROUP = "coaching-live"  # the consumer group of the coaching stream that feeds the live topic


def insight_created(row: InsightRow, person: Person) -> CloudEvent:
    texts = row.texts
    data: dict[str, Any] = {
        "insightId": row.id, "userId": row.user_id, "measurementId": row.measurement_id,
        "measurementIds": row.measurement_ids, "measurementType": row.measurement_type,
        "severity": row.severity, "kind": row.kind, "ruleId": row.rule_id, "ruleSource": row.rule_source,
        "locale": row.locale, "timeZone": person.time_zone.key,
        "title": {lang: t["title"] for lang, t in texts.items()},
        "message": {lang: t["message"] for lang, t in texts.items()},
        "createdAt": as_utc(row.created_at).isoformat(),
    }
    return CloudEvent.new(COACHING_INSIGHT_CREATED, SOURCE, row.id, data)


def live_message(event: CloudEvent) -> tuple[str, str, dict[str, Any]] | None:
    """The live-hub message announcing an insight event to its owner (None for any other event)."""
    user_id = event.data.get("userId")
    if event.type != COACHING_INSIGHT_CREATED or not isinstance(user_id, str):
        return None
    return LIVE_TOPIC, user_id, {"insightId": event.data["insightId"]}
