"""What the notification subgraph publishes: `notification.created` (through its outbox) and the live
messages its subscription delivers (topic LIVE_TOPIC, one channel per user)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from libs.events import CloudEvent
from libs.events.streams import NOTIFICATION_CREATED
from subgraphs.notification.models import NotificationRow

SOURCE = "/subgraphs/notification"
LIVE_TOPIC = "notification"
LIVE_GROUP = "notification-live"  # the consumer group that fans `notification.created` out to sockets


def notification_created(row: NotificationRow) -> CloudEvent:
    return CloudEvent.new(NOTIFICATION_CREATED, SOURCE, row.id, {
        "notificationId": row.id, "userId": row.user_id, "type": row.type, "priority": row.priority,
        "inApp": row.in_app, "createdAt": row.created_at.isoformat(),
        # The whole new row: live subscribers show it without a query per message.
        "title": row.title, "body": row.body, "locale": row.locale, "data": row.data,
    })


def row_from_created(data: Mapping[str, Any]) -> NotificationRow | None:
    """The new notification as `notification.created` carries it (None for events from before it did)."""
    try:
        return NotificationRow(
            id=str(data["notificationId"]), user_id=str(data["userId"]), type=str(data["type"]),
            priority=str(data["priority"]), title=str(data["title"]), body=str(data["body"]),
            locale=str(data["locale"]), data=dict(data["data"]), source_event_id="",
            in_app=bool(data.get("inApp", True)), created_at=datetime.fromisoformat(data["createdAt"]))
    except (KeyError, TypeError, ValueError):
        return None


def live_message(event: CloudEvent) -> tuple[str, str, dict[str, Any]] | None:
    """The live message (topic, user id, message) a `notification.created` becomes; None when the owner
    turned the in-app channel off, or for anything else on the stream."""
    data = event.data
    if event.type != NOTIFICATION_CREATED or not data.get("inApp", True) or not isinstance(
            data.get("userId"), str):
        return None
    message: dict[str, Any] = {"notificationId": data["notificationId"]}
    if row_from_created(data) is not None:
        message["notification"] = data  # subscribers build the notification from it: no query each
    return LIVE_TOPIC, data["userId"], message
