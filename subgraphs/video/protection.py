"""Health-data protection for what video stores (issue 12, docs/DATA-PROTECTION.md): each prescription's and
message's digest, computed in the write and published as `health.record_written` through the outbox (the
data subgraph chains it); answers to integrity checks, re-hashing what is stored now; erasure on
`user.deletion_requested`; the audit of a doctor's reads of a patient's records.

A digest covers the plaintext of everything stored about the record (not the ciphertext, which changes when
the re-encryption pass moves it to a new key)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from libs.crypto import DecryptionFailed
from libs.events import CloudEvent, EventPublisher
from libs.events.streams import (
    DATA_INTEGRITY_CHECK_REQUESTED,
    DATA_KEY_ROTATED,
    INTEGRITY_RECORDS_HASHED,
    INTEGRITY_STREAM,
    USER_DELETION_REQUESTED,
)
from libs.integrity import content_digest
from libs.time import as_utc
from subgraphs.video import events
from subgraphs.video.models import MessageRow, PrescriptionRow
from subgraphs.video.repository import VideoRepository
from subgraphs.video.sealing import PrescriptionContent, Sealer

log = logging.getLogger("manpasik.video.protection")

PRESCRIPTION, MESSAGE = "prescription", "message"  # the data subgraph's record kinds (its domains)
DOMAINS = (PRESCRIPTION, MESSAGE)
PAGE = 500
UNREADABLE = "unreadable"
CHECKS_GROUP = "video-integrity"  # our consumer group on the data stream


def prescription_digest(row: PrescriptionRow, content: PrescriptionContent) -> str:
    return content_digest({
        "id": row.id, "consultationId": row.consultation_id, "patientId": row.patient_id,
        "doctorId": row.doctor_id, "version": row.version, "replacesId": row.replaces_id,
        "medications": content.medications, "notes": content.notes, "issuedAt": as_utc(row.issued_at)})


def message_digest(row: MessageRow, body: str) -> str:
    return content_digest({"id": row.id, "consultationId": row.consultation_id, "senderId": row.sender_id,
                           "body": body, "sentAt": as_utc(row.sent_at)})


def prescription_written(row: PrescriptionRow, content: PrescriptionContent) -> CloudEvent:
    exported = {"prescriptionId": row.id, "issuedAt": events._iso(row.issued_at),
                "medications": content.medications}
    return events.health_record_written(PRESCRIPTION, row.id, row.patient_id, row.doctor_id, row.issued_at,
                                        prescription_digest(row, content), exported)


def message_written(row: MessageRow, patient_id: str, body: str) -> CloudEvent:
    exported = {"messageId": row.id, "consultationId": row.consultation_id, "senderId": row.sender_id,
                "sentAt": events._iso(row.sent_at)}
    return events.health_record_written(MESSAGE, row.id, patient_id, row.sender_id, row.sent_at,
                                        message_digest(row, body), exported)


async def _stored_digest(sealer: Sealer, row: PrescriptionRow | MessageRow) -> str:
    """The digest of what is stored; a ciphertext that no longer decrypts (edited, or moved from another
    row) is reported as such, which no chained digest matches."""
    try:
        if isinstance(row, PrescriptionRow):
            return prescription_digest(row, await sealer.prescription(row))
        return message_digest(row, await sealer.message_body(row))
    except (DecryptionFailed, ValueError, KeyError):  # ValueError: JSON that is not ours
        return UNREADABLE


async def _hashed_page(repo: VideoRepository, sealer: Sealer, domain: str,
                       after: str | None) -> list[list[str]]:
    """[[id, digest of what is stored now], ...] of the next page of one domain's records, by id."""
    rows: Sequence[PrescriptionRow | MessageRow] = (
        await repo.prescription_page(after, PAGE) if domain == PRESCRIPTION
        else await repo.message_page(after, PAGE))
    return [[r.id, await _stored_digest(sealer, r)] for r in rows]


async def answer_check(repo: VideoRepository, sealer: Sealer, publisher: EventPublisher,
                       event: CloudEvent) -> int:
    """Re-hashes every stored prescription and message for a check that asks for them; returns how many."""
    asked = event.data.get("domains") or []
    check_id = event.data.get("checkId")
    if event.type != DATA_INTEGRITY_CHECK_REQUESTED or not isinstance(asked, list):
        return 0
    total = 0
    for domain in (d for d in DOMAINS if d in asked):
        page, after, last = 0, None, False
        while not last:
            records = await _hashed_page(repo, sealer, domain, after)
            last = len(records) < PAGE
            after = records[-1][0] if records else None
            data = {"checkId": check_id, "domain": domain, "records": records, "last": last}
            answer = CloudEvent.new(INTEGRITY_RECORDS_HASHED, events.SOURCE, str(check_id), data,
                                    id=f"{check_id}:{domain}:{page}")
            await publisher.publish(INTEGRITY_STREAM, answer)
            total += len(records)
            page += 1
    return total


async def rotate_keys(repo: VideoRepository, sealer: Sealer, event: CloudEvent) -> bool:
    """An admin's `rotateEncryptionKey` (announced by the data subgraph): our own new data key, once per
    event (the marker commits with the key)."""
    if event.type != DATA_KEY_ROTATED or await repo.already_processed(CHECKS_GROUP, event.id):
        return False
    repo.record_processed(CHECKS_GROUP, event)
    version = await sealer.rotate(repo)
    log.info("data key rotated: version %d active", version)
    return True


async def erase(repo: VideoRepository, event: CloudEvent) -> bool:
    """The deleted user's prescriptions and consultation messages go (as a patient: records written by them
    as a doctor are their patients' and stay); the data subgraph keeps the blocks and the audit log."""
    user_id = event.data.get("userId") or event.subject
    if event.type != USER_DELETION_REQUESTED or not isinstance(user_id, str):
        return False
    prescriptions, messages = await repo.erase_patient(user_id)
    log.info("erased user %s: %d prescriptions, %d messages", user_id, prescriptions, messages)
    return True
