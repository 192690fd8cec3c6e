"""What the video subgraph publishes on the `consultation` stream (through its outbox), and the live topic its
subscriptions listen to (fed from that stream by the worker, to both participants)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from libs.events import CloudEvent
from libs.events.streams import (
    CONSULTATION_BOOKED,
    CONSULTATION_CANCELED,
    CONSULTATION_CONFIRMED,
    CONSULTATION_ENDED,
    CONSULTATION_MESSAGE_SENT,
    CONSULTATION_NO_SHOW,
    CONSULTATION_REMINDER,
    CONSULTATION_STARTED,
    HEALTH_RECORD_WRITTEN,
    PRESCRIPTION_ISSUED,
)
from libs.time import as_utc
from subgraphs.video.models import ConsultationRow, MessageRow, PrescriptionRow

SOURCE = "/subgraphs/video"
LIVE_TOPIC = "consultation"  # LiveHub topic, on each participant's channel: {"consultationId", "messageId"?}
LIVE_GROUP = "video-live"  # the consumer group of the consultation stream that feeds the live topic

STATUS_EVENTS = {
    "REQUESTED": CONSULTATION_BOOKED,
    "CONFIRMED": CONSULTATION_CONFIRMED,
    "IN_PROGRESS": CONSULTATION_STARTED,
    "COMPLETED": CONSULTATION_ENDED,
    "CANCELED": CONSULTATION_CANCELED,
    "NO_SHOW": CONSULTATION_NO_SHOW,
}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat()


def consultation_data(row: ConsultationRow, doctor_name: str, join_early: timedelta,
                      overrun: timedelta) -> dict[str, Any]:
    """What every consultation event carries, the measurement-sharing grant included: the doctor may read
    the patient's readings since `shareMeasurementsSince` from `windowStart` until the consultation ends
    (`windowEnd` at the latest)."""
    return {
        "consultationId": row.id, "patientId": row.patient_id, "doctorId": row.doctor_id,
        "doctorName": doctor_name, "status": row.status,
        "scheduledAt": _iso(row.scheduled_at), "endsAt": _iso(row.ends_at),
        "shareMeasurementsSince": _iso(row.share_measurements_since),
        "windowStart": _iso(as_utc(row.scheduled_at) - join_early),
        "windowEnd": _iso(as_utc(row.ends_at) + overrun),
    }


def status_changed(row: ConsultationRow, data: dict[str, Any]) -> CloudEvent:
    extra: dict[str, Any] = {}
    if row.status == "REQUESTED":
        extra["reason"] = row.reason
    if row.started_at is not None:
        extra["startedAt"] = _iso(row.started_at)
    if row.ended_at is not None:
        extra["endedAt"] = _iso(row.ended_at)
    if row.status == "CANCELED":
        extra.update(canceledBy=row.canceled_by, reason=row.cancel_reason)
    return CloudEvent.new(STATUS_EVENTS[row.status], SOURCE, row.id, {**data, **extra})


def reminder(data: dict[str, Any], minutes: int) -> CloudEvent:
    return CloudEvent.new(CONSULTATION_REMINDER, SOURCE, data["consultationId"],
                          {**data, "minutesBefore": minutes})


def message_sent(message: MessageRow, data: dict[str, Any]) -> CloudEvent:
    return CloudEvent.new(CONSULTATION_MESSAGE_SENT, SOURCE, message.consultation_id,
                          {**data, "messageId": message.id, "senderId": message.sender_id})


def prescription_issued(row: PrescriptionRow, data: dict[str, Any]) -> CloudEvent:
    return CloudEvent.new(PRESCRIPTION_ISSUED, SOURCE, row.consultation_id,
                          {**data, "prescriptionId": row.id, "version": row.version,
                           "replacesId": row.replaces_id})


def live_messages(event: CloudEvent) -> list[tuple[str, str, dict[str, Any]]]:
    """The live-hub messages for one of our events: to the patient and the doctor (none for other events)."""
    data = event.data
    consultation_id = data.get("consultationId")
    if event.source != SOURCE or not isinstance(consultation_id, str):
        return []
    if event.type == CONSULTATION_MESSAGE_SENT:
        message: dict[str, Any] = {"consultationId": consultation_id, "messageId": data.get("messageId")}
    elif event.type in STATUS_EVENTS.values():
        message = {"consultationId": consultation_id, "status": data.get("status")}
    else:
        return []
    people = {p for p in (data.get("patientId"), data.get("doctorId")) if isinstance(p, str)}
    return [(LIVE_TOPIC, person, message) for person in sorted(people)]


def health_record_written(kind: str, record_id: str, patient_id: str, writer: str, written_at: datetime,
                          digest: str, content: dict[str, Any]) -> CloudEvent:
    """A written health record for the data subgraph's chain (docs/DATA-PROTECTION.md): the digest of what
    we store, and the content exports need (prescriptions: the medications; messages: no body, chat stays
    here)."""
    return CloudEvent.new(HEALTH_RECORD_WRITTEN, SOURCE, record_id, {
        "recordId": record_id, "userId": patient_id, "kind": kind, "digest": digest, "writer": writer,
        "writtenAt": _iso(written_at), "content": content})
