"""What each event adds to the console: a day's figures and the admin actions, folded from the streams.

Pure functions over CloudEvents, so the live consumer and a replay from the streams count the same way. A day
is the calendar day in the platform's time zone (DEFAULT_TIME_ZONE, Asia/Seoul for Korea) of the event's time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from libs.events import CloudEvent
from libs.events.streams import (
    COACHING_INSIGHT_CREATED,
    CONSULTATION_BOOKED,
    CONSULTATION_MESSAGE_SENT,
    MEASUREMENT_RECORDED,
    PAYMENT_REFUNDED,
    PAYMENT_SUCCEEDED,
    STAFF_ACTION_TAKEN,
    SUBSCRIPTION_ACTIVATED,
    USER_REINSTATED,
    USER_ROLE_GRANTED,
    USER_SIGNED_UP,
    USER_SUSPENDED,
)

# Event type -> the counter it adds one to.
COUNTED = {
    USER_SIGNED_UP: "new_users",
    MEASUREMENT_RECORDED: "measurements",
    COACHING_INSIGHT_CREATED: "coaching_insights",
    SUBSCRIPTION_ACTIVATED: "new_subscriptions",
    CONSULTATION_BOOKED: "consultations",
}
COUNTERS = tuple(dict.fromkeys(COUNTED.values()))

# Events a person causes by acting (an insight or a suspension happens *to* them): type -> who acted.
ACTIVE_BY = {
    USER_SIGNED_UP: "userId",
    MEASUREMENT_RECORDED: "userId",
    PAYMENT_SUCCEEDED: "userId",
    SUBSCRIPTION_ACTIVATED: "userId",
    CONSULTATION_BOOKED: "patientId",
    CONSULTATION_MESSAGE_SENT: "senderId",
}

# Admin actions other subgraphs publish (actorId, reason or role, requestId): type -> action name.
ADMIN_ACTIONS = {
    USER_SUSPENDED: "USER_SUSPENDED",
    USER_REINSTATED: "USER_REINSTATED",
    USER_ROLE_GRANTED: "ROLE_GRANTED",
}


@dataclass(frozen=True)
class ActionRecord:
    id: str
    at: datetime
    actor_id: str
    action: str
    target_user_id: str | None
    reason: str | None
    request_id: str | None
    source: str


@dataclass
class Tally:
    """Increments from a batch of events, applied by the repository in one transaction."""

    counts: dict[date, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    revenue: dict[tuple[date, str], int] = field(default_factory=lambda: defaultdict(int))
    active: set[tuple[date, str]] = field(default_factory=set)
    actions: list[ActionRecord] = field(default_factory=list)

    def add(self, event: CloudEvent, tz: ZoneInfo) -> None:
        at = event.timestamp
        if at is None:  # no time: nothing to put on a day (the envelope always sets one)
            return
        day = at.astimezone(tz).date()
        data = event.data
        if event.type in COUNTED:
            self.counts[day][COUNTED[event.type]] += 1
        if event.type in (PAYMENT_SUCCEEDED, PAYMENT_REFUNDED):
            amount, currency = _money(data)
            if currency is not None:
                sign = 1 if event.type == PAYMENT_SUCCEEDED else -1
                self.revenue[(day, currency)] += sign * amount
        actor = data.get(ACTIVE_BY.get(event.type, ""))
        if isinstance(actor, str) and actor:
            self.active.add((day, actor))
        if event.type in ADMIN_ACTIONS and isinstance(data.get("actorId"), str):
            reason = data.get("reason") if event.type != USER_ROLE_GRANTED else data.get("role")
            self.actions.append(ActionRecord(
                id=event.id, at=at, actor_id=data["actorId"], action=ADMIN_ACTIONS[event.type],
                target_user_id=_text(data.get("userId")), reason=_text(reason),
                request_id=_text(data.get("requestId")), source=event.source,
            ))
        elif event.type == STAFF_ACTION_TAKEN and isinstance(data.get("actorId"), str) and _text(
                data.get("action")):
            # Staff actions in other subgraphs (data's backups, integrity checks, key rotation, ...): the
            # publishing subgraph names the action; what it acted on, if not a user, goes in `reason`.
            self.actions.append(ActionRecord(
                id=event.id, at=at, actor_id=data["actorId"], action=str(data["action"])[:64],
                target_user_id=_text(data.get("userId")),
                reason=_text(data.get("reason")) or _text(data.get("resourceId")),
                request_id=_text(data.get("requestId")), source=event.source,
            ))

    def extend(self, events: Iterable[CloudEvent], tz: ZoneInfo) -> Tally:
        for event in events:
            self.add(event, tz)
        return self

    @property
    def days(self) -> set[date]:
        return {*self.counts, *(d for d, _ in self.revenue), *(d for d, _ in self.active)}


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


def _money(data: dict[str, Any]) -> tuple[int, str | None]:
    amount, currency = data.get("amount"), data.get("currency")
    if isinstance(amount, bool) or not isinstance(amount, int) or not isinstance(currency, str):
        return 0, None  # malformed money is not revenue; the payment subgraph always sends integers
    return amount, currency.upper()
