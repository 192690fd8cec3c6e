"""The events the auth subgraph publishes on the `auth` stream (types from `libs.events.streams`).

Data always carries `userId`; admin actions add `actorId`, `reason` (or `role`) and `requestId` (the
request's log id) so the admin console can list them. Each builder is committed through the outbox with the
change that caused it (`repo.publish`).
"""

from __future__ import annotations

from typing import Any

from libs.events import CloudEvent
from libs.events.streams import (
    USER_DELETION_REQUESTED,
    USER_LOCALE_CHANGED,
    USER_REINSTATED,
    USER_ROLE_GRANTED,
    USER_SIGNED_UP,
    USER_SUSPENDED,
)
from libs.logging import request_id_var

SOURCE = "/subgraphs/auth"


def _user_event(event_type: str, user_id: str, **data: Any) -> CloudEvent:
    return CloudEvent.new(event_type, SOURCE, subject=user_id, data={"userId": user_id, **data})


def signed_up(user_id: str, *, display_name: str, locale: str, roles: list[str]) -> CloudEvent:
    # `roles`: an account created with DOCTOR (the dev demo doctor) becomes a doctor in the video subgraph.
    return _user_event(USER_SIGNED_UP, user_id, displayName=display_name, locale=locale, roles=roles)


def locale_changed(user_id: str, *, locale: str) -> CloudEvent:
    # Auth owns User.locale; coaching and notification word their messages in it from this event on.
    return _user_event(USER_LOCALE_CHANGED, user_id, locale=locale)


def suspended(user_id: str, *, actor_id: str, reason: str) -> CloudEvent:
    return _user_event(USER_SUSPENDED, user_id, actorId=actor_id, reason=reason,
                       requestId=request_id_var.get())


def reinstated(user_id: str, *, actor_id: str, reason: str) -> CloudEvent:
    return _user_event(USER_REINSTATED, user_id, actorId=actor_id, reason=reason,
                       requestId=request_id_var.get())


def role_granted(user_id: str, *, actor_id: str, role: str, display_name: str) -> CloudEvent:
    return _user_event(USER_ROLE_GRANTED, user_id, actorId=actor_id, role=role, displayName=display_name,
                       requestId=request_id_var.get())


def deletion_requested(user_id: str) -> CloudEvent:
    return _user_event(USER_DELETION_REQUESTED, user_id)
