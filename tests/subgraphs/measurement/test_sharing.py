"""Sharing with a consultation's doctor: the video subgraph's events open a grant; during the consultation
window the doctor reads the patient's measurements since the consented date (and nothing older), each read
is logged, and nobody else — another doctor, staff, a user — reads anything. The grant closes when the
consultation ends, and an older event delivered again does not reopen it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from libs.config import Settings
from libs.events import CloudEvent, EventPublisher
from libs.events.streams import CONSULTATION_BOOKED, CONSULTATION_ENDED, CONSULTATION_STREAM
from libs.testing.graphql import error_codes
from subgraphs.measurement import grants
from tests.subgraphs.measurement.conftest import User

HISTORY = "measurements(type: BLOOD_GLUCOSE, first: 10) { edges { node { id value } } }"


def consultation_event(type_: str, cid: str, patient: User, doctor: User, since: datetime | None,
                       *, opens: timedelta = timedelta(minutes=-10)) -> CloudEvent:
    """A consultation event as the video subgraph publishes it."""
    now = datetime.now(UTC)
    data: dict[str, Any] = {
        "consultationId": cid, "patientId": patient.id, "doctorId": doctor.id, "doctorName": "김의사",
        "status": "REQUESTED", "scheduledAt": (now - opens / 2).isoformat(),
        "shareMeasurementsSince": since.isoformat() if since else None,
        "windowStart": (now + opens).isoformat(), "windowEnd": (now + timedelta(hours=2)).isoformat(),
    }
    return CloudEvent.new(type_, "/subgraphs/video", cid, data)


async def _published(msettings: Settings, redis: Redis, *events: CloudEvent) -> None:
    publisher = EventPublisher(redis, msettings)
    for event in events:
        await publisher.publish(CONSULTATION_STREAM, event)


async def _wait_for(check: Callable[[], Any], expected: Any) -> None:
    for _ in range(100):
        if await check() == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still {await check()!r}, expected {expected!r}")


async def test_the_doctor_reads_shared_measurements_during_the_consultation_only(
        new_user: Callable[..., User], msettings: Settings, redis: Redis) -> None:
    patient, doctor = new_user(), new_user(("USER", "DOCTOR"))
    other_doctor, admin, stranger = new_user(("USER", "DOCTOR")), new_user(("USER", "ADMIN")), new_user()
    now = datetime.now(UTC).replace(microsecond=0)
    since = now - timedelta(days=7)
    old = await patient.record(type="BLOOD_GLUCOSE", value=101, unit="mg/dL",
                               takenAt=(since - timedelta(days=1)).isoformat())
    recent = await patient.record(type="BLOOD_GLUCOSE", value=202, unit="mg/dL",
                                  takenAt=(now - timedelta(days=1)).isoformat())
    assert "errors" not in old and "errors" not in recent
    assert error_codes(await doctor.entities(HISTORY, user_id=patient.id)) == ["FORBIDDEN"]  # no grant yet

    cid = str(uuid.uuid4())
    await _published(msettings, redis, consultation_event(CONSULTATION_BOOKED, cid, patient, doctor, since))

    async def doctor_reads() -> Any:
        r = await doctor.entities(HISTORY, user_id=patient.id)
        edges = [] if error_codes(r) else r["data"]["_entities"][0]["measurements"]["edges"]
        return error_codes(r) or [e["node"]["value"] for e in edges]

    await _wait_for(doctor_reads, [202.0])  # since the consented date only: the older reading stays hidden
    log = await grants.access_log(patient.id, 10)
    assert log and {(e.actor_id, e.owner_id, e.action, e.consultation_id) for e in log} == {
        (doctor.id, patient.id, "READ", cid)}
    assert "BLOOD_GLUCOSE" in log[0].resource

    for outsider in (other_doctor, admin, stranger):
        refused = await outsider.entities(HISTORY, user_id=patient.id)
        assert error_codes(refused) == ["FORBIDDEN"] and "202" not in str(refused["data"])
    # The grant covers the history, not the rest of the patient's data.
    assert error_codes(await doctor.entities("devices { id }", user_id=patient.id)) == ["FORBIDDEN"]
    latest = await doctor.entities("latestMeasurements { id }", user_id=patient.id)
    assert error_codes(latest) == ["FORBIDDEN"]

    ended = consultation_event(CONSULTATION_ENDED, cid, patient, doctor, since)
    await _published(msettings, redis, ended)
    await _wait_for(doctor_reads, ["FORBIDDEN"])
    # A late redelivery of the booking does not reopen the ended consultation's grant.
    await _published(msettings, redis, consultation_event(CONSULTATION_BOOKED, cid, patient, doctor, since))
    await asyncio.sleep(0.5)
    assert await doctor_reads() == ["FORBIDDEN"]
    assert await grants.handle_consultation_event(
        consultation_event(CONSULTATION_BOOKED, cid, patient, doctor, since)) is True
    assert await doctor_reads() == ["FORBIDDEN"]


async def test_no_consent_or_a_window_not_yet_open_shares_nothing(new_user: Callable[..., User]) -> None:
    patient, doctor = new_user(), new_user(("USER", "DOCTOR"))
    await patient.record(type="BLOOD_GLUCOSE", value=150, unit="mg/dL")
    since = datetime.now(UTC) - timedelta(days=30)
    assert await grants.handle_consultation_event(
        consultation_event(CONSULTATION_BOOKED, str(uuid.uuid4()), patient, doctor, None)) is False
    assert await grants.handle_consultation_event(consultation_event(
        CONSULTATION_BOOKED, str(uuid.uuid4()), patient, doctor, since, opens=timedelta(hours=1))) is True
    assert error_codes(await doctor.entities(HISTORY, user_id=patient.id)) == ["FORBIDDEN"]
