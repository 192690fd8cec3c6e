"""Domain events the auth subgraph publishes on the `auth` stream (libs.events.streams.AUTH_STREAM).

Data always carries `userId`; admin actions add `actorId` and `reason` so the admin console can list them.
"""

from __future__ import annotations

from typing import Any

from libs.events import CloudEvent
from libs.events.streams import USER_SIGNED_UP

SOURCE = "/subgraphs/auth"

USER_SUSPENDED = "user.suspended"
USER_REINSTATED = "user.reinstated"
USER_ROLE_GRANTED = "user.role_granted"
USER_DELETION_REQUESTED = "user.deletion_requested"

__all__ = [
    "USER_DELETION_REQUESTED",
    "USER_REINSTATED",
    "USER_ROLE_GRANTED",
    "USER_SIGNED_UP",
    "USER_SUSPENDED",
    "user_event",
]


def user_event(event_type: str, user_id: str, **data: Any) -> CloudEvent:
    return CloudEvent.new(event_type, SOURCE, subject=user_id, data={"userId": user_id, **data})
