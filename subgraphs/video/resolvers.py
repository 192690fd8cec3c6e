"""Root fields: parse, then a unit of work (or a read) and the service."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry

from libs.auth import Role
from libs.auth.fields import authenticated, roles
from subgraphs.video import loaders
from subgraphs.video.context import Info
from subgraphs.video.errors import ConsultationNotFound, PrescriptionNotFound
from subgraphs.video.events import LIVE_TOPIC
from subgraphs.video.service import Medication, PracticeUpdate, VideoService
from subgraphs.video.types import (
    AddRecordingInput,
    BookConsultationInput,
    Consultation,
    ConsultationMessage,
    ConsultationRoom,
    Doctor,
    DoctorProfileInput,
    InPersonVisit,
    IssuePrescriptionInput,
    Prescription,
    Recording,
    User,
)


def _viewer_id(info: Info) -> str:
    return str(info.context.viewer.user_id)  # set: every root field is `authenticated()` or stricter


def _service(info: Info, repo: Any) -> VideoService:
    return VideoService(repo, info.context.resources.deps)


@strawberry.type
class Query:
    @strawberry.field(description="verified doctors taking consultations, optionally of one specialty",
                      extensions=[authenticated()])
    async def doctors(self, info: Info, specialty: str | None = None) -> list[Doctor]:
        async with info.context.read() as repo:
            rows = await _service(info, repo).doctors(specialty)
        return [Doctor(row=r) for r in rows]

    @strawberry.field(extensions=[authenticated()])
    async def doctor(self, info: Info, id: strawberry.ID) -> Doctor | None:
        row = await loaders.doctors(info.context).load(str(id))
        return None if row is None else Doctor(row=row)

    @strawberry.field(description="one of the viewer's consultations (as patient or doctor)",
                      extensions=[authenticated()])
    async def consultation(self, info: Info, id: strawberry.ID) -> Consultation:
        async with info.context.read() as repo:
            row = await _service(info, repo).consultation_for(_viewer_id(info), str(id))
        return Consultation(row=row)

    @strawberry.field(extensions=[authenticated()])
    async def prescription(self, info: Info, id: strawberry.ID) -> Prescription:
        row = await loaders.prescriptions(info.context).load(str(id))
        if row is None or _viewer_id(info) not in (row.patient_id, row.doctor_id):
            raise PrescriptionNotFound(str(id))  # someone else's does not exist for them
        return Prescription(row=row)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="books a consultation with a doctor, as the patient",
                         extensions=[authenticated()])
    async def book_consultation(self, info: Info, input: BookConsultationInput) -> Consultation:
        async with info.context.unit_of_work() as repo:
            row = await _service(info, repo).book(_viewer_id(info), str(input.doctor_id), input.scheduled_at,
                                                  input.reason, input.share_measurements_since)
        return Consultation(row=row)

    @strawberry.mutation(description="the doctor accepts a requested consultation",
                         extensions=[authenticated()])
    async def confirm_consultation(self, info: Info, id: strawberry.ID) -> Consultation:
        async with info.context.unit_of_work() as repo:
            row = await _service(info, repo).confirm(_viewer_id(info), str(id))
        return Consultation(row=row)

    @strawberry.mutation(description="either participant cancels before it starts; frees the time",
                         extensions=[authenticated()])
    async def cancel_consultation(self, info: Info, id: strawberry.ID,
                                  reason: str | None = None) -> Consultation:
        async with info.context.unit_of_work() as repo:
            row = await _service(info, repo).cancel(_viewer_id(info), str(id), reason)
        return Consultation(row=row)

    @strawberry.mutation(description="the doctor records that the patient did not come",
                         extensions=[authenticated()])
    async def mark_consultation_no_show(self, info: Info, id: strawberry.ID) -> Consultation:
        async with info.context.unit_of_work() as repo:
            row = await _service(info, repo).mark_no_show(_viewer_id(info), str(id))
        return Consultation(row=row)

    @strawberry.mutation(description="a LiveKit token for the consultation's room, for its patient and "
                                     "doctor from 10 minutes before the start; the doctor joining starts it",
                         extensions=[authenticated()])
    async def join_consultation(self, info: Info, id: strawberry.ID) -> ConsultationRoom:
        async with info.context.unit_of_work() as repo:
            _, access = await _service(info, repo).join(_viewer_id(info), str(id))
        return ConsultationRoom.from_access(access)

    @strawberry.mutation(description="completes a consultation in progress", extensions=[authenticated()])
    async def end_consultation(self, info: Info, id: strawberry.ID) -> Consultation:
        async with info.context.unit_of_work() as repo:
            row = await _service(info, repo).end(_viewer_id(info), str(id))
        return Consultation(row=row)

    @strawberry.mutation(description="a chat message to the other participant", extensions=[authenticated()])
    async def send_consultation_message(self, info: Info, consultation_id: strawberry.ID,
                                        body: str) -> ConsultationMessage:
        async with info.context.unit_of_work() as repo:
            service = _service(info, repo)
            message = await service.send_message(_viewer_id(info), str(consultation_id), body)
            row = await service.consultation_for(_viewer_id(info), message.consultation_id)
        return ConsultationMessage.of(message, row)

    @strawberry.mutation(description="the viewer's own consent to record this consultation",
                         extensions=[authenticated()])
    async def set_recording_consent(self, info: Info, consultation_id: strawberry.ID,
                                    consent: bool) -> Consultation:
        async with info.context.unit_of_work() as repo:
            row = await _service(info, repo).set_recording_consent(_viewer_id(info), str(consultation_id),
                                                                   consent)
        return Consultation(row=row)

    @strawberry.mutation(description="the doctor files a recording's metadata (both participants consented)",
                         extensions=[authenticated()])
    async def add_consultation_recording(self, info: Info, input: AddRecordingInput) -> Recording:
        async with info.context.unit_of_work() as repo:
            row = await _service(info, repo).add_recording(_viewer_id(info), str(input.consultation_id),
                                                           input.storage_location, input.duration_seconds)
        return Recording.from_row(row)

    @strawberry.mutation(description="the consultation's doctor, during it or within 24 hours of its end",
                         extensions=[roles(Role.DOCTOR)])
    async def issue_prescription(self, info: Info, input: IssuePrescriptionInput) -> Prescription:
        medications = [Medication(m.name, m.dosage, m.frequency, m.duration_days) for m in input.medications]
        async with info.context.unit_of_work() as repo:
            row = await _service(info, repo).issue_prescription(
                _viewer_id(info), str(input.consultation_id), medications, input.notes,
                str(input.replaces) if input.replaces is not None else None)
        return Prescription(row=row)

    @strawberry.mutation(description="the doctor's own practice: specialty, languages, clinic, hours",
                         extensions=[roles(Role.DOCTOR)])
    async def update_doctor_profile(self, info: Info, input: DoctorProfileInput) -> Doctor:
        availability = None if input.availability is None else [
            {"weekday": w.weekday, "start": w.start, "end": w.end} for w in input.availability]
        update = PracticeUpdate(specialty=input.specialty, languages=input.languages,
                                license_number=input.license_number, clinic=input.clinic,
                                time_zone=input.time_zone, availability=availability)
        async with info.context.unit_of_work() as repo:
            row = await _service(info, repo).update_practice(_viewer_id(info), update)
        return Doctor(row=row)

    @strawberry.mutation(description="an administrator checked the doctor's license",
                         extensions=[roles(Role.ADMIN)])
    async def verify_doctor(self, info: Info, id: strawberry.ID) -> Doctor:
        async with info.context.unit_of_work() as repo:
            row = await _service(info, repo).verify_doctor(str(id), _viewer_id(info))
        return Doctor(row=row)

    @strawberry.mutation(description="a doctor records a patient's in-person visit to their clinic (what "
                                     "makes them a follow-up patient)", extensions=[roles(Role.DOCTOR)])
    async def record_in_person_visit(self, info: Info, patient_id: strawberry.ID,
                                     visited_at: datetime) -> InPersonVisit:
        async with info.context.unit_of_work() as repo:
            row = await _service(info, repo).record_visit(_viewer_id(info), str(patient_id), visited_at)
        return InPersonVisit(id=strawberry.ID(row.id), patient=User(id=strawberry.ID(row.patient_id)),
                             clinic=row.clinic, visited_at=row.visited_at)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="the consultation as it is after each status change (its "
                                         "participants only)",
                             extensions=[authenticated()])
    async def consultation_updated(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Consultation, None]:
        viewer_id, res = _viewer_id(info), info.context.resources
        async with info.context.read() as repo:
            await _service(info, repo).consultation_for(viewer_id, str(id))  # NOT_FOUND for anyone else
        async with res.live.subscribe(LIVE_TOPIC, viewer_id) as queue:
            while True:
                message = await queue.get()
                if message.get("consultationId") != str(id) or "status" not in message:
                    continue
                async with info.context.read() as repo:
                    row = await _service(info, repo).consultation_for(viewer_id, str(id))
                yield Consultation(row=row)

    @strawberry.subscription(description="new chat messages of the consultation (its participants only)",
                             extensions=[authenticated()])
    async def consultation_message_sent(self, info: Info, consultation_id: strawberry.ID,
                                        ) -> AsyncGenerator[ConsultationMessage, None]:
        viewer_id, res = _viewer_id(info), info.context.resources
        async with info.context.read() as repo:
            row = await _service(info, repo).consultation_for(viewer_id, str(consultation_id))
        async with res.live.subscribe(LIVE_TOPIC, viewer_id) as queue:
            while True:
                message = await queue.get()
                if message.get("consultationId") != row.id or not message.get("messageId"):
                    continue
                async with info.context.read() as repo:
                    found = await _service(info, repo).message_for(viewer_id, str(message["messageId"]))
                if found is None:
                    raise ConsultationNotFound(row.id, field="consultationId")
                yield ConsultationMessage.of(found, row)
