"""The access-audit hook: every read or change of another person's health data, and every export of one's
own, becomes an `audit.access_recorded` event that the data subgraph appends to its hash-chained audit log
(readable by the subject as `me.accessLog` and by admins; kept `DATA_AUDIT_RETENTION_DAYS`, two years by
default: PIPA safety measures Art. 8).

    record = access(actor_id=doctor, subject_id=patient, action=AccessAction.READ,
                    resource=f"measurement/{m.id}")
    await publish_access(publisher, "/subgraphs/measurement", [record])    # a store without an outbox
    repo.add_event(AUDIT_STREAM, access_event("/subgraphs/video", record)) # SQL: in the same transaction

One event per request and subject is enough (`resource` may name a list: "measurements?type=BLOOD_GLUCOSE").
The request id comes from the request's log context, so an entry leads to the request's log lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from libs.events import CloudEvent, EventPublisher
from libs.events.streams import ACCESS_RECORDED, AUDIT_STREAM
from libs.logging import request_id_var
from libs.time import as_utc, utcnow


class AccessAction(Enum):
    READ = "READ"
    CHANGE = "CHANGE"
    EXPORT = "EXPORT"
    DOWNLOAD = "DOWNLOAD"
    ERASE = "ERASE"


@dataclass(frozen=True, slots=True)
class AccessRecord:
    actor_id: str
    subject_id: str
    action: AccessAction
    resource: str
    request_id: str | None
    at: datetime

    def to_data(self) -> dict[str, Any]:
        return {
            "actorId": self.actor_id,
            "userId": self.subject_id,
            "action": self.action.value,
            "resource": self.resource,
            "requestId": self.request_id,
            "at": as_utc(self.at).isoformat(),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> AccessRecord:
        """Raises KeyError/ValueError on a malformed event."""
        return cls(
            actor_id=str(data["actorId"]),
            subject_id=str(data["userId"]),
            action=AccessAction(data["action"]),
            resource=str(data["resource"])[:300],
            request_id=data.get("requestId"),
            at=as_utc(datetime.fromisoformat(data["at"])),
        )


def access(
    actor_id: str, subject_id: str, action: AccessAction, resource: str, at: datetime | None = None
) -> AccessRecord:
    rid = request_id_var.get()
    return AccessRecord(
        actor_id, subject_id, action, resource, rid if rid and rid != "-" else None, at or utcnow()
    )


def access_event(source: str, record: AccessRecord) -> CloudEvent:
    return CloudEvent.new(ACCESS_RECORDED, source, record.subject_id, record.to_data())


async def publish_access(publisher: EventPublisher, source: str, records: Sequence[AccessRecord]) -> None:
    """Publishes at once (stores without an outbox); raises when the bus is down, so a read that cannot be
    audited is not served silently."""
    for record in records:
        await publisher.publish(AUDIT_STREAM, access_event(source, record))
