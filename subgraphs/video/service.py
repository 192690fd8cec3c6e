"""The rules of video consultations: who may book, join, talk, end and prescribe, and when.

Every change runs in the caller's unit of work (a request or an event), with its events in the same
transaction's outbox. Authorization that depends on the consultation (its patient, its doctor) lives here:
someone else's consultation is NOT_FOUND, as if it did not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from libs.audit import AccessAction, access, access_event
from libs.errors import Conflict, Forbidden
from libs.events import CloudEvent
from libs.events.staff import staff_action
from libs.events.streams import AUDIT_STREAM, USER_DELETION_REQUESTED, USER_ROLE_GRANTED, USER_SIGNED_UP
from libs.events.workers import Handled
from libs.time import as_utc, utcnow, valid_zone
from subgraphs.video import domain, events, protection
from subgraphs.video.domain import ACTIVE, AROUND_THE_CLOCK, Role, Status
from subgraphs.video.errors import (
    ConsultationNotFound,
    DoctorNotFound,
    InvalidInput,
    InvalidTransition,
    NotEligible,
    OutsideWindow,
    PrescriptionNotFound,
    SlotTaken,
)
from subgraphs.video.models import (
    ConsultationRow,
    DoctorRow,
    InPersonVisitRow,
    MessageRow,
    PrescriptionRow,
    RecordingRow,
)
from subgraphs.video.repository import Taken, VideoRepository
from subgraphs.video.rooms import RoomAccess, RoomTokens
from subgraphs.video.sealing import PrescriptionContent, Sealer
from subgraphs.video.settings import VideoSettings

AUTH_GROUP = "video"  # our consumer group on the auth stream
MAX_DOCTORS = 100
MAX_BODY = 4000
MAX_MEDICATIONS = 20
UPCOMING_PER_USER = 20
# A doctor learned from auth's events in `dev` (the demo doctor): listed, verified, around the clock.
DEMO_PRACTICE: dict[str, Any] = {
    "specialty": "가정의학과", "languages": ["ko", "en"], "license_number": "DEMO-0001", "verified": True,
    "clinic": "만파식 데모 의원", "availability": [w.to_dict() for w in AROUND_THE_CLOCK],
}


@dataclass(frozen=True, slots=True)
class VideoDeps:
    """What the service needs besides its repository."""

    own: VideoSettings
    rooms: RoomTokens
    sealer: Sealer  # prescriptions and messages are stored encrypted
    demo_doctors: bool = False  # dev: doctors from auth's events get DEMO_PRACTICE


@dataclass(frozen=True, slots=True)
class Medication:
    name: str
    dosage: str
    frequency: str
    duration_days: int


@dataclass(frozen=True, slots=True)
class PracticeUpdate:
    specialty: str | None = None
    languages: Sequence[str] | None = None
    license_number: str | None = None
    clinic: str | None = None
    time_zone: str | None = None
    availability: Sequence[Mapping[str, Any]] | None = None


def _text(value: str | None, field: str, max_length: int, *, required: bool = False) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"{field} is required", field=field)
        return None
    if len(text) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
    return text


def months_before(at: datetime, months: int) -> datetime:
    month_index = at.year * 12 + at.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(at.day, 28)  # every month has a 28th: "six months before the 31st" is near enough
    return at.replace(year=year, month=month + 1, day=day)


class VideoService:
    def __init__(self, repo: VideoRepository, deps: VideoDeps) -> None:
        self.repo = repo
        self.deps = deps
        self.own = deps.own

    # -- doctors --------------------------------------------------------------------------------------------

    async def doctors(self, specialty: str | None) -> list[DoctorRow]:
        return await self.repo.listed_doctors(_text(specialty, "specialty", 100), MAX_DOCTORS)

    async def doctors_by_ids(self, ids: Sequence[str]) -> dict[str, DoctorRow]:
        return {d.user_id: d for d in await self.repo.doctors_by_ids(ids)}

    async def handle_account_deleted(self, event: CloudEvent) -> bool:
        """`user.deletion_requested`: the person's health records here go (protection.erase); idempotent."""
        if event.type != USER_DELETION_REQUESTED or await self.repo.already_processed(AUTH_GROUP, event.id):
            return False
        self.repo.record_processed(AUTH_GROUP, event)
        return await protection.erase(self.repo, event)

    async def handle_auth_event(self, event: CloudEvent) -> bool:
        """A user who holds DOCTOR (from sign-up or a grant) gets a doctor profile; True when one was made.
        Idempotent by event id (the marker commits with the profile) and by user."""
        data = event.data
        roles = data.get("roles") if event.type == USER_SIGNED_UP else [data.get("role")]
        user_id, name = data.get("userId"), data.get("displayName")
        if event.type not in (USER_SIGNED_UP, USER_ROLE_GRANTED) or not isinstance(roles, list) \
                or "DOCTOR" not in roles or not isinstance(user_id, str):
            return False
        if await self.repo.already_processed(AUTH_GROUP, event.id):
            return False
        self.repo.record_processed(AUTH_GROUP, event)
        existing = await self.repo.doctor(user_id)
        if existing is not None:
            existing.active = True
            return False
        practice = DEMO_PRACTICE if self.deps.demo_doctors else {}
        self.repo.add(DoctorRow(user_id=user_id, display_name=str(name or "")[:100] or "Doctor", **practice))
        return True

    async def _own_doctor(self, viewer_id: str) -> DoctorRow:
        doctor = await self.repo.doctor(viewer_id)
        if doctor is None or not doctor.active:
            raise Forbidden("you have no doctor profile (the DOCTOR role is granted by an administrator)")
        return doctor

    async def update_practice(self, viewer_id: str, update: PracticeUpdate) -> DoctorRow:
        doctor = await self._own_doctor(viewer_id)
        if update.specialty is not None:
            doctor.specialty = _text(update.specialty, "specialty", 100)
        if update.languages is not None:
            languages = [lang.strip().lower() for lang in update.languages if lang.strip()]
            if len(languages) > 10 or any(len(lang) > 10 for lang in languages):
                raise InvalidInput("languages: up to 10 language tags", field="languages")
            doctor.languages = languages
        if update.license_number is not None:
            number = _text(update.license_number, "licenseNumber", 40)
            if number != doctor.license_number:
                doctor.license_number = number
                doctor.verified = False  # a new license number is checked again by an administrator
        if update.clinic is not None:
            doctor.clinic = _text(update.clinic, "clinic", 200)
        if update.time_zone is not None:
            if not valid_zone(update.time_zone):
                raise InvalidInput(f"unknown time zone {update.time_zone!r}", field="timeZone")
            doctor.time_zone = update.time_zone
        if update.availability is not None:
            try:
                windows = domain.parse_windows(update.availability)
            except domain.InvalidAvailability as e:
                raise InvalidInput(str(e), field="availability") from e
            doctor.availability = [w.to_dict() for w in windows]
        doctor.updated_at = utcnow()
        return doctor

    async def verify_doctor(self, doctor_id: str, actor_id: str | None = None) -> DoctorRow:
        doctor = await self.repo.doctor(doctor_id)
        if doctor is None:
            raise DoctorNotFound(doctor_id, field="id")
        if not doctor.license_number:
            raise Conflict("a doctor without a license number cannot be verified", field="id")
        doctor.verified = True
        doctor.updated_at = utcnow()
        if actor_id is not None:  # an admin's act: the admin console lists it
            self.repo.publish(staff_action(events.SOURCE, actor_id, "DOCTOR_VERIFIED",
                                           target_user_id=doctor_id))
        return doctor

    async def record_visit(self, viewer_id: str, patient_id: str, visited_at: datetime) -> InPersonVisitRow:
        doctor = await self._own_doctor(viewer_id)
        if not doctor.clinic:
            raise Conflict("set your clinic before recording visits", field="clinic")
        visited_at = as_utc(visited_at)
        if visited_at > utcnow():
            raise InvalidInput("visitedAt is in the future", field="visitedAt")
        row = InPersonVisitRow(id=str(uuid.uuid4()), patient_id=patient_id, clinic=doctor.clinic,
                               doctor_id=doctor.user_id, visited_at=visited_at)
        self.repo.add(row)
        return row

    # -- consultations: reading -----------------------------------------------------------------------------

    async def consultations_by_ids(self, ids: Sequence[str]) -> dict[str, ConsultationRow]:
        return {c.id: c for c in await self.repo.consultations_by_ids(ids)}

    async def _participant(self, viewer_id: str, consultation_id: str,
                           field: str = "id") -> tuple[ConsultationRow, Role]:
        row = await self.repo.consultation(consultation_id)
        if row is not None and row.patient_id == viewer_id:
            return row, Role.PATIENT
        if row is not None and row.doctor_id == viewer_id:
            return row, Role.DOCTOR
        raise ConsultationNotFound(consultation_id, field)

    async def consultation_for(self, viewer_id: str, consultation_id: str) -> ConsultationRow:
        return (await self._participant(viewer_id, consultation_id))[0]

    async def upcoming(self, user_ids: Sequence[str]) -> dict[str, list[ConsultationRow]]:
        rows = await self.repo.upcoming(user_ids, [s.value for s in ACTIVE], utcnow())
        out: dict[str, list[ConsultationRow]] = {u: [] for u in user_ids}
        for row in rows:
            for person in {row.patient_id, row.doctor_id}:
                if person in out and len(out[person]) < UPCOMING_PER_USER:
                    out[person].append(row)
        return out

    async def _event_data(self, row: ConsultationRow) -> dict[str, Any]:
        doctor = await self.repo.doctor(row.doctor_id)
        return events.consultation_data(row, doctor.display_name if doctor else "",
                                        timedelta(minutes=self.own.join_early_minutes),
                                        timedelta(minutes=self.own.overrun_minutes))

    async def _announce(self, row: ConsultationRow) -> None:
        self.repo.publish(events.status_changed(row, await self._event_data(row)))

    # -- consultations: booking and the status machine ------------------------------------------------------

    async def book(self, patient_id: str, doctor_id: str, scheduled_at: datetime, reason: str | None,
                   share_since: datetime | None) -> ConsultationRow:
        now = utcnow()
        scheduled_at = as_utc(scheduled_at)
        doctor = await self.repo.doctor(doctor_id)
        if doctor is None or not doctor.active or not doctor.verified:
            raise DoctorNotFound(doctor_id)
        if doctor_id == patient_id:
            raise InvalidInput("you cannot book a consultation with yourself", field="doctorId")
        if scheduled_at <= now:
            raise InvalidInput("scheduledAt must be in the future", field="scheduledAt")
        if scheduled_at > now + timedelta(days=self.own.booking_horizon_days):
            raise InvalidInput(f"scheduledAt is more than {self.own.booking_horizon_days} days ahead",
                               field="scheduledAt")
        if not domain.on_grid(scheduled_at, self.own.slot_minutes):
            raise InvalidInput(f"scheduledAt must start on a {self.own.slot_minutes}-minute boundary",
                               field="scheduledAt")
        if share_since is not None:
            share_since = as_utc(share_since)
            if share_since > now:
                raise InvalidInput("shareMeasurementsSince is in the future", field="shareMeasurementsSince")
        ends_at = scheduled_at + timedelta(minutes=self.own.consultation_minutes)
        windows = domain.parse_windows(doctor.availability)
        if not domain.available(windows, ZoneInfo(doctor.time_zone), scheduled_at, ends_at):
            raise InvalidInput("the doctor is not available at that time", field="scheduledAt")
        await self._check_eligible(patient_id, doctor, now)
        row = ConsultationRow(id=str(uuid.uuid4()), patient_id=patient_id, doctor_id=doctor_id,
                              scheduled_at=scheduled_at, ends_at=ends_at, status=Status.REQUESTED.value,
                              reason=_text(reason, "reason", 1000), share_measurements_since=share_since)
        self.repo.add(row)
        try:
            await self.repo.claim_slots(doctor_id, row.id, domain.slots(scheduled_at, ends_at,
                                                                        self.own.slot_minutes))
        except Taken:
            raise SlotTaken() from None
        await self._announce(row)
        return row

    async def _check_eligible(self, patient_id: str, doctor: DoctorRow, now: datetime) -> None:
        if self.own.first_visit_allowed:
            return
        last = await self.repo.last_visit(patient_id, doctor.clinic) if doctor.clinic else None
        since = months_before(now, self.own.follow_up_months)
        if last is None:
            raise NotEligible("video consultations with this clinic are for its follow-up patients: "
                              "visit it in person first", reason="FIRST_VISIT")
        if as_utc(last) < since:
            raise NotEligible(f"your last in-person visit to this clinic was more than "
                              f"{self.own.follow_up_months} months ago", reason="VISIT_TOO_OLD")

    async def _move(self, row: ConsultationRow, target: Status, **values: Any) -> ConsultationRow:
        current = Status(row.status)
        if not domain.may_become(current, target):
            raise InvalidTransition(current.value, target.value)
        moved = await self.repo.transition(row.id, [s.value for s in domain.sources_of(target)], target.value,
                                           updated_at=utcnow(), **values)
        if moved is None:  # another request moved it first
            fresh = await self.repo.consultation(row.id)
            raise InvalidTransition(fresh.status if fresh else current.value, target.value)
        if target not in ACTIVE:
            await self.repo.release_slots(row.id)
        await self._announce(moved)
        return moved

    async def confirm(self, viewer_id: str, consultation_id: str) -> ConsultationRow:
        row, role = await self._participant(viewer_id, consultation_id)
        if role is not Role.DOCTOR:
            raise Forbidden("only the consultation's doctor confirms it")
        return await self._move(row, Status.CONFIRMED)

    async def cancel(self, viewer_id: str, consultation_id: str, reason: str | None) -> ConsultationRow:
        row, _ = await self._participant(viewer_id, consultation_id)
        return await self._move(row, Status.CANCELED, canceled_by=viewer_id,
                                cancel_reason=_text(reason, "reason", 500))

    async def mark_no_show(self, viewer_id: str, consultation_id: str) -> ConsultationRow:
        row, role = await self._participant(viewer_id, consultation_id)
        if role is not Role.DOCTOR:
            raise Forbidden("only the consultation's doctor marks a no-show")
        if utcnow() < as_utc(row.scheduled_at):
            raise OutsideWindow("a consultation is a no-show only after its start")
        return await self._move(row, Status.NO_SHOW)

    async def end(self, viewer_id: str, consultation_id: str) -> ConsultationRow:
        row, _ = await self._participant(viewer_id, consultation_id)
        return await self._move(row, Status.COMPLETED, ended_at=utcnow())

    def _window(self, row: ConsultationRow, now: datetime) -> None:
        """Joining and chat: from `join_early_minutes` before the start until the consultation ends."""
        status = Status(row.status)
        if status not in ACTIVE:
            raise InvalidTransition(status.value, "joined")
        if status is Status.REQUESTED:
            raise Conflict("the doctor has not confirmed this consultation yet", status=status.value)
        opens = as_utc(row.scheduled_at) - timedelta(minutes=self.own.join_early_minutes)
        if now < opens:
            raise OutsideWindow("the consultation room opens "
                                f"{self.own.join_early_minutes} minutes before the start",
                                opens_at=opens.isoformat())
        closes = as_utc(row.ends_at) + timedelta(minutes=self.own.overrun_minutes)
        if status is Status.CONFIRMED and now > closes:
            raise OutsideWindow("this consultation's time is over")

    async def join(self, viewer_id: str, consultation_id: str) -> tuple[ConsultationRow, RoomAccess]:
        row, role = await self._participant(viewer_id, consultation_id)
        self._window(row, utcnow())
        name = "Patient"  # the app shows its own user's name; the room needs only a label
        if role is Role.DOCTOR:
            doctor = await self.repo.doctor(viewer_id)
            name = doctor.display_name if doctor else "Doctor"
            if row.status == Status.CONFIRMED.value:
                row = await self._move(row, Status.IN_PROGRESS, started_at=utcnow())
        self.repo.add_join(row.id, viewer_id, role.value)
        return row, self.deps.rooms.mint(row.id, viewer_id, name, role.value)

    # -- chat -----------------------------------------------------------------------------------------------

    async def send_message(self, viewer_id: str, consultation_id: str, body: str) -> MessageRow:
        row, _ = await self._participant(viewer_id, consultation_id, field="consultationId")
        text = _text(body, "body", MAX_BODY, required=True)
        assert text is not None
        self._window(row, utcnow())
        message = MessageRow(id=str(uuid.uuid4()), consultation_id=row.id, sender_id=viewer_id)
        await self.deps.sealer.prepare(self.repo)
        self.deps.sealer.seal_message(message, text)
        self.repo.add(message)
        self.repo.publish(events.message_sent(message, await self._event_data(row)))
        self.repo.publish(protection.message_written(message, row.patient_id, text))
        if viewer_id != row.patient_id:  # the doctor adds to the patient's record: their access log says so
            self.repo.add_event(AUDIT_STREAM, access_event(events.SOURCE, access(
                viewer_id, row.patient_id, AccessAction.CHANGE, f"consultation/{row.id}/messages")))
        return message

    async def messages(self, consultation_ids: Sequence[str]) -> dict[str, list[MessageRow]]:
        out: dict[str, list[MessageRow]] = {c: [] for c in consultation_ids}
        for m in await self.repo.messages(consultation_ids):
            out[m.consultation_id].append(m)
        return out

    async def message_for(self, viewer_id: str, message_id: str) -> MessageRow | None:
        """A message, if the viewer takes part in its consultation."""
        message = await self.repo.message(message_id)
        if message is None:
            return None
        row = await self.repo.consultation(message.consultation_id)
        return message if row is not None and viewer_id in (row.patient_id, row.doctor_id) else None

    # -- recordings -----------------------------------------------------------------------------------------

    async def set_recording_consent(self, viewer_id: str, consultation_id: str,
                                    consent: bool) -> ConsultationRow:
        row, role = await self._participant(viewer_id, consultation_id, field="consultationId")
        if role is Role.PATIENT:
            row.patient_recording_consent = consent
        else:
            row.doctor_recording_consent = consent
        row.updated_at = utcnow()
        return row

    async def add_recording(self, viewer_id: str, consultation_id: str, storage_location: str,
                            duration_seconds: int) -> RecordingRow:
        row, role = await self._participant(viewer_id, consultation_id, field="consultationId")
        if role is not Role.DOCTOR:
            raise Forbidden("only the consultation's doctor files its recordings")
        if not (row.patient_recording_consent and row.doctor_recording_consent):
            raise Forbidden("a recording needs both participants' consent", reason="NO_CONSENT")
        if row.status not in (Status.IN_PROGRESS.value, Status.COMPLETED.value):
            raise InvalidTransition(row.status, "recorded")
        location = _text(storage_location, "storageLocation", 1000, required=True)
        if not 1 <= duration_seconds <= 24 * 3600:
            raise InvalidInput("durationSeconds must be between 1 and 86400", field="durationSeconds")
        recording = RecordingRow(id=str(uuid.uuid4()), consultation_id=row.id, storage_location=str(location),
                                 duration_seconds=duration_seconds, created_by=viewer_id)
        self.repo.add(recording)
        return recording

    async def recordings(self, consultation_ids: Sequence[str]) -> dict[str, list[RecordingRow]]:
        out: dict[str, list[RecordingRow]] = {c: [] for c in consultation_ids}
        for r in await self.repo.recordings(consultation_ids):
            out[r.consultation_id].append(r)
        return out

    # -- prescriptions --------------------------------------------------------------------------------------

    async def issue_prescription(self, viewer_id: str, consultation_id: str,
                                 medications: Sequence[Medication], notes: str | None,
                                 replaces: str | None) -> PrescriptionRow:
        row, role = await self._participant(viewer_id, consultation_id, field="consultationId")
        if role is not Role.DOCTOR:
            raise Forbidden("only the consultation's doctor issues its prescriptions")
        now = utcnow()
        recent = row.ended_at is not None and as_utc(row.ended_at) >= now - timedelta(
            hours=self.own.prescribe_within_hours)
        if not (row.status == Status.IN_PROGRESS.value or (row.status == Status.COMPLETED.value and recent)):
            raise Conflict(f"prescriptions are issued during the consultation or within "
                           f"{self.own.prescribe_within_hours} hours of its end", status=row.status)
        content = PrescriptionContent(_medications(medications), _text(notes, "notes", MAX_BODY))
        chain = await self.repo.prescriptions_of_consultation(row.id)
        previous = None
        if replaces is not None:
            previous = next((p for p in chain if p.id == replaces), None)
            if previous is None:
                raise PrescriptionNotFound(replaces, field="replaces")
        if chain and (previous is None or previous.id != chain[-1].id):
            raise Conflict("this consultation's prescription exists: a correction replaces its latest "
                           "version", field="replaces", latestId=chain[-1].id)
        prescription = PrescriptionRow(
            id=str(uuid.uuid4()), consultation_id=row.id, patient_id=row.patient_id, doctor_id=row.doctor_id,
            version=previous.version + 1 if previous else 1, replaces_id=previous.id if previous else None)
        await self.deps.sealer.prepare(self.repo)
        self.deps.sealer.seal_prescription(prescription, content)
        try:
            await self.repo.add_prescription(prescription)
        except Taken:  # a concurrent correction of the same version won
            raise Conflict("this prescription was corrected meanwhile", field="replaces") from None
        self.repo.publish(events.prescription_issued(prescription, await self._event_data(row)))
        self.repo.publish(protection.prescription_written(prescription, content))
        self.repo.add_event(AUDIT_STREAM, access_event(events.SOURCE, access(
            viewer_id, row.patient_id, AccessAction.CHANGE, f"prescription/{prescription.id}")))
        return prescription

    async def prescriptions_of(self, user_ids: Sequence[str]) -> dict[str, list[PrescriptionRow]]:
        out: dict[str, list[PrescriptionRow]] = {u: [] for u in user_ids}
        for p in await self.repo.prescriptions_of(user_ids):
            for person in {p.patient_id, p.doctor_id}:
                if person in out:
                    out[person].append(p)
        return out

    async def prescriptions_by_ids(self, ids: Sequence[str]) -> dict[str, PrescriptionRow]:
        return {p.id: p for p in await self.repo.prescriptions_by_ids(ids)}

    async def replaced(self, ids: Sequence[str]) -> set[str]:
        return await self.repo.replaced_ids(ids)

    # -- reminders ------------------------------------------------------------------------------------------

    async def send_due_reminders(self, limit: int = 100) -> Handled[ConsultationRow]:
        """Marks and announces consultations starting within `reminder_minutes`: the mark commits with the
        event, so each consultation is reminded once."""
        now = utcnow()
        out = Handled[ConsultationRow]()
        lead = timedelta(minutes=self.own.reminder_minutes)
        for row in await self.repo.due_reminders(now + lead, now, limit):
            row.reminder_sent_at = now
            out.items.append(row)
            out.outbox.append(self.repo.publish(events.reminder(await self._event_data(row),
                                                                self.own.reminder_minutes)))
        return out


def _medications(medications: Sequence[Medication]) -> list[dict[str, Any]]:
    if not 1 <= len(medications) <= MAX_MEDICATIONS:
        raise InvalidInput(f"a prescription lists 1 to {MAX_MEDICATIONS} medications", field="medications")
    items = []
    for i, m in enumerate(medications):
        field = f"medications.{i}"
        if not 1 <= m.duration_days <= 365:
            raise InvalidInput("durationDays must be between 1 and 365", field=f"{field}.durationDays")
        items.append({"name": _text(m.name, f"{field}.name", 200, required=True),
                      "dosage": _text(m.dosage, f"{field}.dosage", 100, required=True),
                      "frequency": _text(m.frequency, f"{field}.frequency", 100, required=True),
                      "durationDays": m.duration_days})
    return items


__all__ = ["AUTH_GROUP", "Medication", "PracticeUpdate", "VideoDeps", "VideoService"]
