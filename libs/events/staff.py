"""The event a subgraph publishes when a staff member acts there (catalogue: STAFF_ACTION_TAKEN), so the admin
console records every admin action, whichever subgraph it happened in, with the request that caused it."""

from __future__ import annotations

from libs.events.envelope import CloudEvent
from libs.events.streams import STAFF_ACTION_TAKEN
from libs.logging import request_id_var


def staff_action(source: str, actor_id: str, action: str, *, target_user_id: str | None = None,
                 reason: str | None = None, resource_id: str | None = None) -> CloudEvent:
    """`action`: what the console shows (BACKUP_STARTED); `resource_id`: what it acted on, if not a user."""
    data: dict[str, str] = {"actorId": actor_id, "action": action}
    for key, value in (("userId", target_user_id), ("reason", reason), ("resourceId", resource_id),
                       ("requestId", request_id_var.get())):
        if value:
            data[key] = value
    return CloudEvent.new(STAFF_ACTION_TAKEN, source, target_user_id or resource_id, data)
