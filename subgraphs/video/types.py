"""GraphQL types of the video subgraph (never the tables themselves), including its part of the federated
`User`. A consultation, its messages, recordings and prescriptions are its two participants' alone, as each
field declares; doctors' public profiles are for anyone signed in."""

from __future__ import annotations

from datetime import datetime

import strawberry

from libs.auth.fields import authenticated, owner_or_roles
from libs.time import as_utc
from subgraphs.video import loaders
from subgraphs.video.context import Info
from subgraphs.video.domain import Status
from subgraphs.video.models import ConsultationRow, DoctorRow, MessageRow, PrescriptionRow, RecordingRow
from subgraphs.video.permissions import participants
from subgraphs.video.rooms import RoomAccess
from subgraphs.video.sealing import PrescriptionContent

strawberry.enum(Status, name="ConsultationStatus",
                description="REQUESTED -> CONFIRMED -> IN_PROGRESS -> COMPLETED, or CANCELED / NO_SHOW")


async def _audited(info: Info, patient_id: str, resource: str) -> None:
    """A participant other than the patient (the doctor) reading the patient's record: into the patient's
    access log first (loaders.audited_reads)."""
    reader = info.context.viewer.user_id
    if reader is not None and reader != patient_id:
        await loaders.audited_reads(info.context).load((reader, patient_id, resource))


def _of_consultation(c: Consultation) -> tuple[str, str]:
    return c.row.patient_id, c.row.doctor_id


def _of_prescription(p: Prescription) -> tuple[str, str]:
    return p.row.patient_id, p.row.doctor_id


def _of_message(m: ConsultationMessage) -> tuple[str, str]:
    return m.patient_id, m.doctor_id


@strawberry.federation.type(keys=["id"])
class User:
    """The video subgraph's part of the federated User."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> User:
        return cls(id=id)

    @strawberry.field(description="active consultations not over yet, as patient or doctor, soonest first",
                      extensions=[owner_or_roles(owner=lambda u: str(u.id),
                                                 message="you may only access your own consultations")])
    async def upcoming_consultations(self, info: Info) -> list[Consultation]:
        return [Consultation(row=r) for r in await loaders.upcoming(info.context).load(str(self.id))]

    @strawberry.field(description="prescriptions issued to (or by) the user, newest first; corrections "
                                  "replace older versions, which `includeReplaced` shows too",
                      extensions=[owner_or_roles(owner=lambda u: str(u.id),
                                                 message="you may only access your own prescriptions")])
    async def prescriptions(self, info: Info, include_replaced: bool = False) -> list[Prescription]:
        rows = await loaders.prescriptions_of(info.context).load(str(self.id))
        if not include_replaced:
            flags = await loaders.replaced(info.context).load_many([r.id for r in rows])
            rows = [r for r, replaced in zip(rows, flags, strict=True) if not replaced]
        return [Prescription(row=r) for r in rows]


@strawberry.type
class AvailabilityWindow:
    weekday: int = strawberry.field(description="0 Monday ... 6 Sunday, in the doctor's time zone")
    start: str = strawberry.field(description="HH:MM")
    end: str = strawberry.field(description="HH:MM; 24:00 is the end of the day")


@strawberry.federation.type(keys=["id"], description="A user with the DOCTOR role and their practice")
class Doctor:
    row: strawberry.Private[DoctorRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.user_id)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Doctor | None:
        row = await loaders.doctors(info.context).load(str(id))
        return None if row is None else cls(row=row)

    @strawberry.field(extensions=[authenticated()])
    def display_name(self) -> str:
        return self.row.display_name

    @strawberry.field(extensions=[authenticated()])
    def specialty(self) -> str | None:
        return self.row.specialty

    @strawberry.field(description="language tags the doctor consults in (ko, en...)",
                      extensions=[authenticated()])
    def languages(self) -> list[str]:
        return list(self.row.languages)

    @strawberry.field(extensions=[authenticated()])
    def license_number(self) -> str | None:
        return self.row.license_number

    @strawberry.field(description="the license was checked by an administrator", extensions=[authenticated()])
    def verified(self) -> bool:
        return self.row.verified

    @strawberry.field(extensions=[authenticated()])
    def clinic(self) -> str | None:
        return self.row.clinic

    @strawberry.field(extensions=[authenticated()])
    def time_zone(self) -> str:
        return self.row.time_zone

    @strawberry.field(description="weekly hours open for booking", extensions=[authenticated()])
    def availability(self) -> list[AvailabilityWindow]:
        return [AvailabilityWindow(weekday=int(w["weekday"]), start=str(w["start"]), end=str(w["end"]))
                for w in self.row.availability]

    @strawberry.field(description="the doctor as a platform user")
    def user(self) -> User:
        return User(id=strawberry.ID(self.row.user_id))


@strawberry.type(description="Where and with what to join the consultation's LiveKit room")
class ConsultationRoom:
    room_name: str
    url: str = strawberry.field(description="the LiveKit server (wss://...)")
    token: str = strawberry.field(description="a LiveKit access token for this room and this participant")
    expires_at: datetime = strawberry.field(description="join before this; a joined call is not cut off")

    @classmethod
    def from_access(cls, access: RoomAccess) -> ConsultationRoom:
        return cls(room_name=access.room_name, url=access.url, token=access.token,
                   expires_at=access.expires_at)


@strawberry.type
class ConsultationMessage:
    row: strawberry.Private[MessageRow]
    patient_id: strawberry.Private[str]
    doctor_id: strawberry.Private[str]

    @classmethod
    def of(cls, row: MessageRow, consultation: ConsultationRow) -> ConsultationMessage:
        return cls(row=row, patient_id=consultation.patient_id, doctor_id=consultation.doctor_id)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(extensions=participants(_of_message))
    async def body(self, info: Info) -> str:
        await _audited(info, self.patient_id, f"consultation/{self.row.consultation_id}/messages")
        return await info.context.resources.deps.sealer.message_body(self.row)

    @strawberry.field(extensions=participants(_of_message))
    def sent_at(self) -> datetime:
        return as_utc(self.row.sent_at)

    @strawberry.field(extensions=participants(_of_message))
    def sender(self) -> User:
        return User(id=strawberry.ID(self.row.sender_id))


@strawberry.type(description="A recording's metadata (the media stays in the SFU's storage)")
class Recording:
    id: strawberry.ID
    storage_location: str
    duration_seconds: int
    created_at: datetime

    @classmethod
    def from_row(cls, row: RecordingRow) -> Recording:
        return cls(id=strawberry.ID(row.id), storage_location=row.storage_location,
                   duration_seconds=row.duration_seconds, created_at=as_utc(row.created_at))


@strawberry.type
class RecordingConsent:
    patient: bool
    doctor: bool


@strawberry.federation.type(keys=["id"])
class Consultation:
    row: strawberry.Private[ConsultationRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Consultation | None:
        row = await loaders.consultations(info.context).load(str(id))
        return None if row is None else cls(row=row)

    @strawberry.field(extensions=participants(_of_consultation))
    def status(self) -> Status:
        return Status(self.row.status)

    @strawberry.field(extensions=participants(_of_consultation))
    def scheduled_at(self) -> datetime:
        return as_utc(self.row.scheduled_at)

    @strawberry.field(extensions=participants(_of_consultation))
    def ends_at(self) -> datetime:
        return as_utc(self.row.ends_at)

    @strawberry.field(extensions=participants(_of_consultation))
    def reason(self) -> str | None:
        return self.row.reason

    @strawberry.field(description="the patient lets the doctor read their measurements since then, during "
                                  "the consultation", extensions=participants(_of_consultation))
    def share_measurements_since(self) -> datetime | None:
        since = self.row.share_measurements_since
        return None if since is None else as_utc(since)

    @strawberry.field(extensions=participants(_of_consultation))
    def started_at(self) -> datetime | None:
        return None if self.row.started_at is None else as_utc(self.row.started_at)

    @strawberry.field(extensions=participants(_of_consultation))
    def ended_at(self) -> datetime | None:
        return None if self.row.ended_at is None else as_utc(self.row.ended_at)

    @strawberry.field(extensions=participants(_of_consultation))
    def cancel_reason(self) -> str | None:
        return self.row.cancel_reason

    @strawberry.field(extensions=participants(_of_consultation))
    async def doctor(self, info: Info) -> Doctor | None:
        row = await loaders.doctors(info.context).load(self.row.doctor_id)
        return None if row is None else Doctor(row=row)

    @strawberry.field(extensions=participants(_of_consultation))
    def patient(self) -> User:
        return User(id=strawberry.ID(self.row.patient_id))

    @strawberry.field(extensions=participants(_of_consultation))
    async def messages(self, info: Info) -> list[ConsultationMessage]:
        rows = await loaders.messages(info.context).load(self.row.id)
        return [ConsultationMessage.of(m, self.row) for m in rows]

    @strawberry.field(extensions=participants(_of_consultation))
    def recording_consent(self) -> RecordingConsent:
        return RecordingConsent(patient=self.row.patient_recording_consent,
                                doctor=self.row.doctor_recording_consent)

    @strawberry.field(extensions=participants(_of_consultation))
    async def recordings(self, info: Info) -> list[Recording]:
        return [Recording.from_row(r) for r in await loaders.recordings(info.context).load(self.row.id)]


@strawberry.type
class Medication:
    name: str
    dosage: str
    frequency: str
    duration_days: int


@strawberry.federation.type(keys=["id"], description="Immutable once issued: a correction is a new version")
class Prescription:
    row: strawberry.Private[PrescriptionRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Prescription | None:
        row = await loaders.prescriptions(info.context).load(str(id))
        return None if row is None else cls(row=row)

    @strawberry.field(extensions=participants(_of_prescription))
    def version(self) -> int:
        return self.row.version

    @strawberry.field(extensions=participants(_of_prescription))
    def issued_at(self) -> datetime:
        return as_utc(self.row.issued_at)

    async def _content(self, info: Info) -> PrescriptionContent:
        await _audited(info, self.row.patient_id, f"prescription/{self.row.id}")
        return await info.context.resources.deps.sealer.prescription(self.row)

    @strawberry.field(extensions=participants(_of_prescription))
    async def medications(self, info: Info) -> list[Medication]:
        content = await self._content(info)
        return [Medication(name=m["name"], dosage=m["dosage"], frequency=m["frequency"],
                           duration_days=int(m["durationDays"])) for m in content.medications]

    @strawberry.field(extensions=participants(_of_prescription))
    async def notes(self, info: Info) -> str | None:
        return (await self._content(info)).notes

    @strawberry.field(extensions=participants(_of_prescription))
    async def consultation(self, info: Info) -> Consultation | None:
        row = await loaders.consultations(info.context).load(self.row.consultation_id)
        return None if row is None else Consultation(row=row)

    @strawberry.field(extensions=participants(_of_prescription))
    def patient(self) -> User:
        return User(id=strawberry.ID(self.row.patient_id))

    @strawberry.field(extensions=participants(_of_prescription))
    async def doctor(self, info: Info) -> Doctor | None:
        row = await loaders.doctors(info.context).load(self.row.doctor_id)
        return None if row is None else Doctor(row=row)

    @strawberry.field(description="the version this one corrects", extensions=participants(_of_prescription))
    async def replaces(self, info: Info) -> Prescription | None:
        if self.row.replaces_id is None:
            return None
        row = await loaders.prescriptions(info.context).load(self.row.replaces_id)
        return None if row is None else Prescription(row=row)

    @strawberry.field(description="false once a newer version replaces it",
                      extensions=participants(_of_prescription))
    async def current(self, info: Info) -> bool:
        return not await loaders.replaced(info.context).load(self.row.id)


@strawberry.input
class BookConsultationInput:
    doctor_id: strawberry.ID
    scheduled_at: datetime = strawberry.field(description="on the booking grid (every 5 minutes by default)")
    reason: str | None = None
    share_measurements_since: datetime | None = strawberry.field(
        default=None,
        description="lets the doctor read your measurements since then, during the consultation")


@strawberry.input
class MedicationInput:
    name: str
    dosage: str
    frequency: str
    duration_days: int


@strawberry.input
class IssuePrescriptionInput:
    consultation_id: strawberry.ID
    medications: list[MedicationInput]
    notes: str | None = None
    replaces: strawberry.ID | None = strawberry.field(
        default=None, description="the latest version, when this one corrects it")


@strawberry.input
class AvailabilityWindowInput:
    weekday: int
    start: str
    end: str


@strawberry.input
class DoctorProfileInput:
    specialty: str | None = None
    languages: list[str] | None = None
    license_number: str | None = None
    clinic: str | None = None
    time_zone: str | None = None
    availability: list[AvailabilityWindowInput] | None = None


@strawberry.input
class AddRecordingInput:
    consultation_id: strawberry.ID
    storage_location: str
    duration_seconds: int


@strawberry.type
class InPersonVisit:
    id: strawberry.ID
    patient: User
    clinic: str
    visited_at: datetime
