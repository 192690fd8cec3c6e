"""Booking over GraphQL: who can book what, the status machine's CONFLICTs, joining with a LiveKit token."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jwt
from livekit import api
from sqlalchemy import select
from sqlmodel import col

from libs.config import Settings
from libs.testing.graphql import error_codes, gql
from subgraphs.video.errors import NotEligible
from subgraphs.video.models import SlotClaimRow
from subgraphs.video.resources import VideoResources
from subgraphs.video.service import VideoDeps, VideoService
from subgraphs.video.settings import VideoSettings
from tests.subgraphs.video.conftest import (
    LIVEKIT_SECRET,
    book,
    booked,
    call,
    doctor,
    in_progress,
    next_slot,
    person,
)

SEOUL = ZoneInfo("Asia/Seoul")
DOCTORS = "query($s: String) { doctors(specialty: $s) { id displayName specialty languages verified } }"


async def test_doctors_lists_verified_doctors_of_a_specialty(video_url: str, video: VideoResources,
                                                             settings: Settings) -> None:
    listed = await doctor(video, settings, name="이내과", specialty="내과-test")
    patient = person(settings)
    result = await gql(video_url, DOCTORS, {"s": "내과-test"}, token=patient.token)
    assert result["data"]["doctors"] == [{"id": listed.id, "displayName": "이내과", "specialty": "내과-test",
                                          "languages": ["ko", "en"], "verified": True}]
    assert error_codes(await gql(video_url, DOCTORS, {"s": "내과-test"})) == ["UNAUTHENTICATED"]


async def test_a_booking_is_requested_then_confirmed_by_its_doctor(video_url: str, video: VideoResources,
                                                                   settings: Settings) -> None:
    doc, patient = await doctor(video, settings, name="박의사"), person(settings)
    at = next_slot(60)
    result = await book(video_url, patient, doc, at, reason="두통")
    assert "errors" not in result, result
    created = result["data"]["bookConsultation"]
    assert created["status"] == "REQUESTED" and created["doctor"] == {"id": doc.id, "displayName": "박의사"}
    assert datetime.fromisoformat(created["scheduledAt"]) == at
    assert datetime.fromisoformat(created["endsAt"]) == at + timedelta(minutes=30)
    # The patient cannot confirm on the doctor's behalf; the doctor can, once.
    assert error_codes(await call(video_url, patient, "confirmConsultation", created["id"])) == ["FORBIDDEN"]
    confirmed = await call(video_url, doc, "confirmConsultation", created["id"])
    assert confirmed["data"]["confirmConsultation"]["status"] == "CONFIRMED"
    again = await call(video_url, doc, "confirmConsultation", created["id"])
    assert error_codes(again) == ["CONFLICT"] and again["errors"][0]["extensions"]["status"] == "CONFIRMED"


async def test_bad_bookings_are_refused_with_the_field_at_fault(video_url: str, video: VideoResources,
                                                                settings: Settings) -> None:
    doc, patient = await doctor(video, settings), person(settings)
    cases = {
        "past": (next_slot() - timedelta(hours=1), "scheduledAt"),
        "off the grid": (next_slot(60) + timedelta(minutes=2), "scheduledAt"),
        "beyond the horizon": (next_slot() + timedelta(days=91), "scheduledAt"),
    }
    for name, (at, field) in cases.items():
        result = await book(video_url, patient, doc, at)
        assert error_codes(result) == ["BAD_USER_INPUT"], name
        assert result["errors"][0]["extensions"]["field"] == field, name
    future_share = await book(video_url, patient, doc, next_slot(60),
                              shareMeasurementsSince=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    assert future_share["errors"][0]["extensions"]["field"] == "shareMeasurementsSince"
    unknown = await book(video_url, patient, person(settings, "DOCTOR"))  # no doctor profile
    assert error_codes(unknown) == ["NOT_FOUND"] and unknown["errors"][0]["extensions"]["field"] == "doctorId"
    yourself = await book(video_url, doc, doc, next_slot(60))
    assert error_codes(yourself) == ["BAD_USER_INPUT"]
    assert error_codes(await book(video_url, patient, doc, next_slot(60), reason="x" * 1001)) == [
        "BAD_USER_INPUT"]


async def test_outside_the_doctors_hours_is_refused(video_url: str, video: VideoResources,
                                                    settings: Settings) -> None:
    doc, patient = await doctor(video, settings), person(settings)
    update = """mutation($a: [AvailabilityWindowInput!]!) {
      updateDoctorProfile(input: {availability: $a}) { availability { weekday start end } } }"""
    hours = [{"weekday": 0, "start": "09:00", "end": "12:00"}]  # Mondays, Seoul time
    r = await gql(video_url, update, {"a": hours}, token=doc.token)
    assert r["data"]["updateDoctorProfile"]["availability"] == hours
    today = datetime.now(SEOUL).date()
    monday = today + timedelta(days=7 - today.weekday())  # next week's Monday
    at = datetime.combine(monday, time(11, 45), tzinfo=SEOUL)  # 11:45-12:15 runs past noon
    result = await book(video_url, patient, doc, at)
    assert error_codes(result) == ["BAD_USER_INPUT"] and "not available" in result["errors"][0]["message"]
    assert error_codes(await book(video_url, patient, doc, at + timedelta(days=1, hours=-1))) == [
        "BAD_USER_INPUT"]  # Tuesday
    assert "errors" not in await book(video_url, patient, doc, at - timedelta(minutes=15))
    bad = await gql(video_url, update, {"a": [{"weekday": 0, "start": "12:00", "end": "09:00"}]},
                    token=doc.token)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    assert bad["errors"][0]["extensions"]["field"] == "availability"
    assert error_codes(await gql(video_url, update, {"a": hours}, token=patient.token)) == ["FORBIDDEN"]


async def test_invalid_transitions_are_conflicts(video_url: str, video: VideoResources,
                                                 settings: Settings) -> None:
    doc, patient = await doctor(video, settings), person(settings)
    cid = await booked(video_url, patient, doc, next_slot(120))
    assert error_codes(await call(video_url, doc, "endConsultation", cid)) == ["CONFLICT"]  # not started
    no_show = await call(video_url, doc, "markConsultationNoShow", cid)
    assert error_codes(no_show) == ["CONFLICT"]  # REQUESTED cannot be a no-show
    canceled = await call(video_url, patient, "cancelConsultation", cid)
    assert canceled["data"]["cancelConsultation"]["status"] == "CANCELED"
    for mutation in ("confirmConsultation", "cancelConsultation", "endConsultation"):
        assert error_codes(await call(video_url, doc, mutation, cid)) == ["CONFLICT"], mutation
    # The canceled consultation freed its time: another patient books exactly that slot.
    read = await gql(video_url, "query($id: ID!) { consultation(id: $id) { scheduledAt } }", {"id": cid},
                     token=patient.token)
    at = datetime.fromisoformat(read["data"]["consultation"]["scheduledAt"])
    assert "errors" not in await book(video_url, person(settings), doc, at)


async def test_join_returns_a_livekit_token_that_verifies_with_the_secret(
        video_url: str, video: VideoResources, video_own: VideoSettings, settings: Settings) -> None:
    doc, patient = await doctor(video, settings, name="최의사"), person(settings)
    cid = await booked(video_url, patient, doc)
    early = await call(video_url, patient, "joinConsultation", cid, "token")
    assert error_codes(early) == ["CONFLICT"]  # not confirmed yet
    assert "errors" not in await call(video_url, doc, "confirmConsultation", cid)
    fields = "roomName url token expiresAt"
    joined = await call(video_url, patient, "joinConsultation", cid, fields)
    patient_room = joined["data"]["joinConsultation"]
    status = await gql(video_url, "query($id: ID!) { consultation(id: $id) { status } }", {"id": cid},
                       token=patient.token)
    assert status["data"]["consultation"]["status"] == "CONFIRMED"  # the patient waits in the room
    doctor_room = (await call(video_url, doc, "joinConsultation", cid, fields))["data"]["joinConsultation"]
    assert patient_room["roomName"] == doctor_room["roomName"] == f"consultation-{cid}"
    assert patient_room["url"] == "wss://sfu.example.test"

    claims = jwt.decode(doctor_room["token"], LIVEKIT_SECRET, algorithms=["HS256"], issuer="APItest")
    assert claims["sub"] == doc.id and claims["name"] == "최의사"
    assert claims["video"]["room"] == f"consultation-{cid}" and claims["video"]["roomJoin"] is True
    assert claims["exp"] - claims["nbf"] == video_own.token_ttl_s
    assert abs(claims["exp"] - datetime.fromisoformat(doctor_room["expiresAt"]).timestamp()) <= 2
    # LiveKit's own verifier accepts it; another secret does not.
    verified = api.TokenVerifier("APItest", LIVEKIT_SECRET).verify(patient_room["token"])
    assert verified.identity == patient.id and verified.video is not None
    assert verified.video.room == f"consultation-{cid}"
    try:
        api.TokenVerifier("APItest", "another-secret-of-enough-length-000000").verify(patient_room["token"])
    except jwt.InvalidSignatureError:
        pass
    else:
        raise AssertionError("a token verified with the wrong secret")

    started = await gql(video_url, "query($id: ID!) { consultation(id: $id) { status startedAt } }",
                        {"id": cid}, token=patient.token)
    assert started["data"]["consultation"]["status"] == "IN_PROGRESS"
    assert started["data"]["consultation"]["startedAt"] is not None


async def test_the_room_opens_ten_minutes_before_the_start(video_url: str, video: VideoResources,
                                                           settings: Settings) -> None:
    doc, patient = await doctor(video, settings), person(settings)
    cid = await booked(video_url, patient, doc, next_slot(30))
    assert "errors" not in await call(video_url, doc, "confirmConsultation", cid)
    early = await call(video_url, patient, "joinConsultation", cid, "token")
    assert error_codes(early) == ["CONFLICT"] and "opensAt" in early["errors"][0]["extensions"]
    message = await gql(video_url, 'mutation($id: ID!) { sendConsultationMessage(consultationId: $id, '
                        'body: "hi") { id } }', {"id": cid}, token=patient.token)
    assert error_codes(message) == ["CONFLICT"]


async def test_ending_completes_and_frees_the_time(video_url: str, video: VideoResources,
                                                   settings: Settings) -> None:
    doc, patient = await doctor(video, settings), person(settings)
    cid = await in_progress(video_url, patient, doc)
    ended = await call(video_url, patient, "endConsultation", cid)
    assert ended["data"]["endConsultation"]["status"] == "COMPLETED"
    assert ended["data"]["endConsultation"]["endedAt"] is not None
    assert error_codes(await call(video_url, doc, "endConsultation", cid)) == ["CONFLICT"]
    assert error_codes(await call(video_url, doc, "joinConsultation", cid, "token")) == ["CONFLICT"]
    async with video.db.read() as repo:
        claims = (await repo.session.execute(select(SlotClaimRow).where(
            col(SlotClaimRow.consultation_id) == cid))).scalars().all()
    assert claims == []


async def test_first_visits_are_refused_when_the_rules_say_so(video: VideoResources, settings: Settings,
                                                              video_own: VideoSettings) -> None:
    strict = VideoDeps(own=video_own.model_copy(update={"first_visit_allowed": False, "follow_up_months": 6}),
                       rooms=video.deps.rooms, sealer=video.deps.sealer)
    doc, patient = await doctor(video, settings, clinic="서울 의원"), person(settings)
    at = next_slot(60)
    long_ago = datetime.now(UTC) - timedelta(days=200)
    for visited, reason in ((None, "FIRST_VISIT"), (long_ago, "VISIT_TOO_OLD")):
        if visited is not None:
            async with video.db.write() as repo:
                await VideoService(repo, video.deps).record_visit(doc.id, patient.id, visited)
        try:
            async with video.db.write() as repo:
                await VideoService(repo, strict).book(patient.id, doc.id, at, None, None)
        except NotEligible as e:
            assert e.extensions["reason"] == reason and e.code == "FORBIDDEN"
        else:
            raise AssertionError("booked without a recent in-person visit")
    async with video.db.write() as repo:
        recent = datetime.now(UTC) - timedelta(days=30)
        await VideoService(repo, video.deps).record_visit(doc.id, patient.id, recent)
    async with video.db.write() as repo:
        row = await VideoService(repo, strict).book(patient.id, doc.id, at, None, None)
    assert row.status == "REQUESTED"
