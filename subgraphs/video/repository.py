"""Every query of the video subgraph."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from libs.db.uow import SessionRepository
from libs.events import CloudEvent
from libs.events.ledger import EventLedger
from libs.events.outbox import OutboxBase
from libs.events.streams import CONSULTATION_STREAM
from subgraphs.video.models import (
    ConsultationRow,
    DoctorRow,
    InPersonVisitRow,
    MessageRow,
    ParticipantJoinRow,
    PrescriptionRow,
    RecordingRow,
    SlotClaimRow,
    VideoKeyRow,
    VideoOutbox,
    VideoProcessedEvent,
)


class Taken(Exception):
    """A unique key is held by another row (a slot, a prescription version): the caller says which."""


class VideoRepository(SessionRepository, EventLedger):
    processed_model, outbox_model = VideoProcessedEvent, VideoOutbox

    def publish(self, event: CloudEvent) -> OutboxBase:
        return self.add_event(CONSULTATION_STREAM, event)

    async def _flush_unique(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as e:
            raise Taken() from e

    # -- doctors --------------------------------------------------------------------------------------------

    async def doctor(self, user_id: str) -> DoctorRow | None:
        return await self.session.get(DoctorRow, user_id)

    async def doctors_by_ids(self, ids: Sequence[str]) -> list[DoctorRow]:
        stmt = select(DoctorRow).where(col(DoctorRow.user_id).in_(ids))
        return list((await self.session.execute(stmt)).scalars())

    async def listed_doctors(self, specialty: str | None, limit: int) -> list[DoctorRow]:
        stmt = select(DoctorRow).where(col(DoctorRow.active).is_(True), col(DoctorRow.verified).is_(True))
        if specialty is not None:
            stmt = stmt.where(func.lower(DoctorRow.specialty) == specialty.lower())
        stmt = stmt.order_by(col(DoctorRow.display_name), col(DoctorRow.user_id)).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    def add(self, row: Any) -> None:
        self.session.add(row)

    # -- consultations --------------------------------------------------------------------------------------

    async def consultation(self, consultation_id: str) -> ConsultationRow | None:
        return await self.session.get(ConsultationRow, consultation_id)

    async def consultations_by_ids(self, ids: Sequence[str]) -> list[ConsultationRow]:
        stmt = select(ConsultationRow).where(col(ConsultationRow.id).in_(ids))
        return list((await self.session.execute(stmt)).scalars())

    async def upcoming(self, user_ids: Sequence[str], statuses: Sequence[str],
                       now: datetime) -> list[ConsultationRow]:
        """Active consultations not over yet where any of the users is the patient or the doctor."""
        stmt = (select(ConsultationRow)
                .where(or_(col(ConsultationRow.patient_id).in_(user_ids),
                           col(ConsultationRow.doctor_id).in_(user_ids)),
                       col(ConsultationRow.status).in_(statuses), col(ConsultationRow.ends_at) > now)
                .order_by(col(ConsultationRow.scheduled_at), col(ConsultationRow.id)))
        return list((await self.session.execute(stmt)).scalars())

    async def claim_slots(self, doctor_id: str, consultation_id: str, starts: Sequence[datetime]) -> None:
        """Raises Taken when any slot is held: the primary key decides, also between concurrent bookings."""
        self.session.add_all([SlotClaimRow(doctor_id=doctor_id, slot_start=s, consultation_id=consultation_id)
                              for s in starts])
        await self._flush_unique()

    async def release_slots(self, consultation_id: str) -> None:
        await self.session.execute(delete(SlotClaimRow).where(
            col(SlotClaimRow.consultation_id) == consultation_id))

    async def transition(self, consultation_id: str, sources: Sequence[str], target: str,
                         **values: Any) -> ConsultationRow | None:
        """Moves the consultation to `target` only if it is still in one of `sources` (one conditional
        update: of two concurrent transitions one wins); None when it was not."""
        result: Any = await self.session.execute(
            update(ConsultationRow)
            .where(col(ConsultationRow.id) == consultation_id, col(ConsultationRow.status).in_(sources))
            .values(status=target, **values)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            return None
        return await self.session.get(ConsultationRow, consultation_id, populate_existing=True)

    async def due_reminders(self, until: datetime, now: datetime, limit: int) -> list[ConsultationRow]:
        """Active consultations starting by `until` (and not over) whose reminder is still to be sent;
        locked, so two workers never remind twice."""
        stmt = (select(ConsultationRow)
                .where(col(ConsultationRow.reminder_sent_at).is_(None),
                       col(ConsultationRow.status).in_(["REQUESTED", "CONFIRMED"]),
                       col(ConsultationRow.scheduled_at) <= until, col(ConsultationRow.scheduled_at) > now)
                .order_by(col(ConsultationRow.scheduled_at)).limit(limit))
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list((await self.session.execute(stmt)).scalars())

    def add_join(self, consultation_id: str, user_id: str, role: str) -> None:
        self.session.add(ParticipantJoinRow(consultation_id=consultation_id, user_id=user_id, role=role))

    # -- messages -------------------------------------------------------------------------------------------

    async def message(self, message_id: str) -> MessageRow | None:
        return await self.session.get(MessageRow, message_id)

    async def messages(self, consultation_ids: Sequence[str]) -> list[MessageRow]:
        stmt = (select(MessageRow).where(col(MessageRow.consultation_id).in_(consultation_ids))
                .order_by(col(MessageRow.sent_at), col(MessageRow.id)))
        return list((await self.session.execute(stmt)).scalars())

    # -- prescriptions --------------------------------------------------------------------------------------

    async def prescription(self, prescription_id: str) -> PrescriptionRow | None:
        return await self.session.get(PrescriptionRow, prescription_id)

    async def prescriptions_by_ids(self, ids: Sequence[str]) -> list[PrescriptionRow]:
        stmt = select(PrescriptionRow).where(col(PrescriptionRow.id).in_(ids))
        return list((await self.session.execute(stmt)).scalars())

    async def prescriptions_of_consultation(self, consultation_id: str) -> list[PrescriptionRow]:
        stmt = (select(PrescriptionRow).where(col(PrescriptionRow.consultation_id) == consultation_id)
                .order_by(col(PrescriptionRow.version)))
        return list((await self.session.execute(stmt)).scalars())

    async def prescriptions_of(self, user_ids: Sequence[str]) -> list[PrescriptionRow]:
        """Every version issued to or by these users, newest first."""
        stmt = (select(PrescriptionRow)
                .where(or_(col(PrescriptionRow.patient_id).in_(user_ids),
                           col(PrescriptionRow.doctor_id).in_(user_ids)))
                .order_by(col(PrescriptionRow.issued_at).desc(), col(PrescriptionRow.id)))
        return list((await self.session.execute(stmt)).scalars())

    async def replaced_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these prescriptions a newer version replaces."""
        stmt = select(col(PrescriptionRow.replaces_id)).where(col(PrescriptionRow.replaces_id).in_(ids))
        return {r for r in (await self.session.execute(stmt)).scalars() if r is not None}

    async def add_prescription(self, row: PrescriptionRow) -> None:
        """Raises Taken when that version exists or the replaced one was replaced already."""
        self.session.add(row)
        await self._flush_unique()

    # -- recordings and visits ------------------------------------------------------------------------------

    async def recordings(self, consultation_ids: Sequence[str]) -> list[RecordingRow]:
        stmt = (select(RecordingRow).where(col(RecordingRow.consultation_id).in_(consultation_ids))
                .order_by(col(RecordingRow.created_at)))
        return list((await self.session.execute(stmt)).scalars())

    async def last_visit(self, patient_id: str, clinic: str) -> datetime | None:
        stmt = select(func.max(InPersonVisitRow.visited_at)).where(
            col(InPersonVisitRow.patient_id) == patient_id, col(InPersonVisitRow.clinic) == clinic)
        value: datetime | None = (await self.session.execute(stmt)).scalar_one_or_none()
        return value

    # -- health-data protection: keys, sealing, integrity pages, erasure ------------------------------------

    async def keys(self, lock: Literal["share", "update"] | None = None) -> list[VideoKeyRow]:
        stmt = select(VideoKeyRow).order_by(col(VideoKeyRow.version))
        if lock is not None and self.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(read=lock == "share")
        return list((await self.session.execute(stmt)).scalars())

    async def lock_key_creation(self) -> None:
        """Until this transaction ends (PostgreSQL; SQLite writers are serialised anyway)."""
        if self.session.get_bind().dialect.name == "postgresql":
            lock = "SELECT pg_advisory_xact_lock(hashtext('video_encryption_keys'))"
            await self.session.execute(text(lock))

    async def prescriptions_to_seal(self, active: int | None, limit: int) -> list[PrescriptionRow]:
        """In plaintext, or sealed under another key than the active one."""
        version = col(PrescriptionRow.key_version)
        stmt = select(PrescriptionRow).where(or_(version.is_(None), version != active)).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def messages_to_seal(self, active: int | None, limit: int) -> list[MessageRow]:
        version = col(MessageRow.key_version)
        stmt = select(MessageRow).where(or_(version.is_(None), version != active)).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def key_versions_in_use(self) -> set[int]:
        used: set[int] = set()
        for column in (col(PrescriptionRow.key_version), col(MessageRow.key_version)):
            used |= {v for v in (await self.session.execute(select(column).distinct())).scalars()
                     if v is not None}
        return used

    async def prescription_page(self, after: str | None, limit: int) -> list[PrescriptionRow]:
        stmt = select(PrescriptionRow).order_by(col(PrescriptionRow.id)).limit(limit)
        if after is not None:
            stmt = stmt.where(col(PrescriptionRow.id) > after)
        return list((await self.session.execute(stmt)).scalars())

    async def message_page(self, after: str | None, limit: int) -> list[MessageRow]:
        stmt = select(MessageRow).order_by(col(MessageRow.id)).limit(limit)
        if after is not None:
            stmt = stmt.where(col(MessageRow.id) > after)
        return list((await self.session.execute(stmt)).scalars())

    async def erase_patient(self, patient_id: str) -> tuple[int, int]:
        """The patient's prescriptions and the messages of their consultations go; the consultations stay
        (a doctor's schedule and the sharing grants refer to them) without their free-text reasons.
        Returns (prescriptions, messages) deleted."""
        theirs = select(col(ConsultationRow.id)).where(col(ConsultationRow.patient_id) == patient_id)
        messages: Any = await self.session.execute(
            delete(MessageRow).where(col(MessageRow.consultation_id).in_(theirs)))
        prescriptions: Any = await self.session.execute(
            delete(PrescriptionRow).where(col(PrescriptionRow.patient_id) == patient_id))
        await self.session.execute(
            update(ConsultationRow).where(col(ConsultationRow.patient_id) == patient_id)
            .values(reason=None, cancel_reason=None).execution_options(synchronize_session=False))
        return int(prescriptions.rowcount), int(messages.rowcount)
