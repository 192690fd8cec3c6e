"""The video subgraph's tables: doctors, consultations and the slots they claim, participants' joins,
messages, recordings (metadata), prescriptions, in-person visits (follow-up eligibility), outbox, processed
events. Table names carry a `video_` prefix: SQLModel's metadata is process-wide and tests load several
subgraphs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from libs.events import OutboxBase, ProcessedEventBase
from libs.time import utcnow


class DoctorRow(SQLModel, table=True):
    """A user holding the DOCTOR role (learned from auth's events) and their practice."""

    __tablename__ = "video_doctors"

    user_id: str = Field(primary_key=True, max_length=64)
    display_name: str = Field(max_length=100)
    specialty: str | None = Field(default=None, max_length=100, index=True)
    languages: list[str] = Field(default_factory=list, sa_type=JSON)
    license_number: str | None = Field(default=None, max_length=40)
    verified: bool = False
    clinic: str | None = Field(default=None, max_length=200)
    time_zone: str = Field(default="Asia/Seoul", max_length=64)
    # [{"weekday": 0-6 (Monday 0), "start": "09:00", "end": "18:00"}] in `time_zone`; "24:00" ends a day.
    availability: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    active: bool = True  # false once the role is gone (never deleted: consultations refer to it)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ConsultationRow(SQLModel, table=True):
    __tablename__ = "video_consultations"
    __table_args__ = (
        Index("ix_video_consultations_patient_scheduled", "patient_id", "scheduled_at"),
        Index("ix_video_consultations_doctor_scheduled", "doctor_id", "scheduled_at"),
        Index("ix_video_consultations_status_scheduled", "status", "scheduled_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    patient_id: str = Field(max_length=64)
    doctor_id: str = Field(max_length=64)
    scheduled_at: datetime = Field(sa_type=DateTime(timezone=True))
    ends_at: datetime = Field(sa_type=DateTime(timezone=True))
    status: str = Field(max_length=12)
    reason: str | None = Field(default=None, max_length=1000)
    share_measurements_since: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    started_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    ended_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    cancel_reason: str | None = Field(default=None, max_length=500)
    canceled_by: str | None = Field(default=None, max_length=64)
    reminder_sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    patient_recording_consent: bool = False
    doctor_recording_consent: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class SlotClaimRow(SQLModel, table=True):
    """One doctor's slot held by an active consultation. The primary key is what makes double booking
    impossible on PostgreSQL and SQLite alike: two bookings overlap exactly when they claim a common slot."""

    __tablename__ = "video_slot_claims"

    doctor_id: str = Field(primary_key=True, max_length=64)
    slot_start: datetime = Field(primary_key=True, sa_type=DateTime(timezone=True))
    consultation_id: str = Field(max_length=36, index=True)


class ParticipantJoinRow(SQLModel, table=True):
    """Each time a participant was handed a room token."""

    __tablename__ = "video_participant_joins"

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: str = Field(max_length=36, index=True)
    user_id: str = Field(max_length=64)
    role: str = Field(max_length=10)  # PATIENT | DOCTOR
    joined_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class MessageRow(SQLModel, table=True):
    __tablename__ = "video_messages"
    __table_args__ = (Index("ix_video_messages_consultation_sent", "consultation_id", "sent_at"),)

    id: str = Field(primary_key=True, max_length=36)
    consultation_id: str = Field(max_length=36)
    sender_id: str = Field(max_length=64)
    body: str | None = Field(default=None, max_length=4000)  # plaintext of rows written before encryption
    sealed: bytes | None = Field(default=None, sa_type=LargeBinary)  # the body, encrypted (sealing.py)
    key_version: int | None = None  # the data key `sealed` is under (None: not encrypted yet)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class RecordingRow(SQLModel, table=True):
    """Metadata only: the media stays where the SFU's egress stored it."""

    __tablename__ = "video_recordings"

    id: str = Field(primary_key=True, max_length=36)
    consultation_id: str = Field(max_length=36, index=True)
    storage_location: str = Field(max_length=1000)
    duration_seconds: int
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class PrescriptionRow(SQLModel, table=True):
    """Never updated: a correction is a new row with the next version, naming the one it replaces (which
    only one correction may do: the unique `replaces_id`)."""

    __tablename__ = "video_prescriptions"
    __table_args__ = (
        UniqueConstraint("consultation_id", "version", name="uq_video_prescriptions_version"),
        UniqueConstraint("replaces_id", name="uq_video_prescriptions_replaces"),
        Index("ix_video_prescriptions_patient_issued", "patient_id", "issued_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    consultation_id: str = Field(max_length=36)
    patient_id: str = Field(max_length=64)
    doctor_id: str = Field(max_length=64)
    version: int = 1
    replaces_id: str | None = Field(default=None, max_length=36)
    # Plaintext of rows written before encryption; new rows keep both in `sealed` (sealing.py).
    medications: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    notes: str | None = Field(default=None, max_length=4000)
    sealed: bytes | None = Field(default=None, sa_type=LargeBinary)  # {medications, notes}, encrypted
    key_version: int | None = None
    issued_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class InPersonVisitRow(SQLModel, table=True):
    """A visit to a clinic in person, recorded by one of its doctors: what makes a patient a follow-up."""

    __tablename__ = "video_in_person_visits"
    __table_args__ = (Index("ix_video_visits_patient_clinic", "patient_id", "clinic", "visited_at"),)

    id: str = Field(primary_key=True, max_length=36)
    patient_id: str = Field(max_length=64)
    clinic: str = Field(max_length=200)
    doctor_id: str = Field(max_length=64)
    visited_at: datetime = Field(sa_type=DateTime(timezone=True))


class VideoKeyRow(SQLModel, table=True):
    """A data key for prescriptions and messages, only ever stored wrapped by a KEK. ACTIVE encrypts new
    rows; RETIRED still decrypts until the re-encryption pass has moved its rows, then DESTROYED."""

    __tablename__ = "video_encryption_keys"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    kek_id: str = Field(max_length=64)
    wrapped: bytes | None = Field(default=None, sa_type=LargeBinary)
    status: str = Field(max_length=20)  # ACTIVE | RETIRED | DESTROYED
    activated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    retired_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class VideoOutbox(OutboxBase, table=True):
    __tablename__ = "video_outbox"


class VideoProcessedEvent(ProcessedEventBase, table=True):
    __tablename__ = "video_processed_events"
