"""Seed scenario 4 through the router, with the app's own operations and two clients: an administrator makes
a user a doctor, the patient finds and books them (sharing measurements), both join the LiveKit room and
follow it live, chat, the doctor reads the shared readings, ends the consultation and prescribes; the patient
sees the prescription and is notified at each step. A third user reaches none of it."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from libs.config import Settings
from libs.testing.graphql import error_codes, gql
from subgraphs.video.settings import VideoSettings
from tests.e2e.conftest import Stack, contract_operation
from tests.e2e.doctors import account, make_doctor, slot
from tests.subgraphs.coaching.ws import Subscription, subscribe

SHARED = """query($id: ID!) { consultation(id: $id) { patient {
  measurements(type: BLOOD_GLUCOSE, first: 10) { edges { node { value } } } } } }"""


async def _eventually(check: Any, what: str, tries: int = 200) -> Any:
    for _ in range(tries):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


async def _until(sub: Subscription, field: str, key: str, value: Any) -> dict[str, Any]:
    for _ in range(6):
        payload = await sub.next(timeout=10)
        assert "errors" not in payload, payload
        if payload["data"][field][key] == value:
            return dict(payload["data"][field])
    raise AssertionError(f"no {field} with {key}={value}")


async def test_a_consultation_from_booking_to_prescription(stack: Stack, settings: Settings) -> None:
    ws = stack.url.removesuffix("/graphql")
    patient, stranger = await account(stack, "환자"), await account(stack, "제삼자")
    specialty = f"내과-{secrets.token_hex(3)}"
    doctor = await make_doctor(stack, settings, "김닥터", specialty)
    doctor_token = doctor["token"]

    # The patient has readings from before and after the date they share from.
    now = datetime.now(UTC).replace(microsecond=0)
    for value, age in ((111, timedelta(days=40)), (222, timedelta(days=2))):
        r = await gql(stack.url, contract_operation("RecordMeasurement"), {"input": {
            "type": "BLOOD_GLUCOSE", "value": value, "unit": "mg/dL", "source": "MANUAL",
            "takenAt": (now - age).isoformat(), "clientId": secrets.token_hex(8)}}, token=patient["token"])
        assert "errors" not in r, r

    found = await gql(stack.url, contract_operation("Doctors"), {"specialty": specialty},
                      token=patient["token"])
    assert found["data"]["doctors"] == [{"id": doctor["id"], "displayName": "김닥터", "specialty": specialty,
                                         "languages": ["ko"]}]
    at = slot(1)  # within the reminder's lead: the patient is reminded at once
    booked = await gql(stack.url, contract_operation("BookConsultation"), {"input": {
        "doctorId": doctor["id"], "scheduledAt": at.isoformat(), "reason": "혈당 상담",
        "shareMeasurementsSince": (now - timedelta(days=30)).isoformat()}}, token=patient["token"])
    assert "errors" not in booked, booked
    consultation = booked["data"]["bookConsultation"]
    cid = consultation["id"]
    assert consultation["status"] == "REQUESTED"
    assert consultation["doctor"] == {"id": doctor["id"], "displayName": "김닥터"}

    home = await gql(stack.url, contract_operation("Home"), {"since": now.isoformat()},
                     token=patient["token"])
    assert "errors" not in home, home
    assert home["data"]["me"]["upcomingConsultations"] == [
        {"id": cid, "scheduledAt": consultation["scheduledAt"], "status": "REQUESTED",
         "doctor": {"id": doctor["id"], "displayName": "김닥터"}}]

    confirmed = await gql(stack.url, "mutation($id: ID!) { confirmConsultation(id: $id) { status } }",
                          {"id": cid}, token=doctor_token)
    assert confirmed["data"]["confirmConsultation"]["status"] == "CONFIRMED", confirmed

    async def reminded() -> bool:  # the consultation starts within 10 minutes: the patient is reminded
        r = await gql(stack.url, contract_operation("Notifications"), {"first": 20}, token=patient["token"])
        return any(e["node"]["type"] == "CONSULTATION_REMINDER" and "김닥터" in e["node"]["body"]
                   for e in r["data"]["me"]["notifications"]["edges"])
    await _eventually(reminded, "the reminder", tries=400)

    on, on_message = contract_operation("OnConsultation"), contract_operation("OnConsultationMessage")
    async with subscribe(ws, on, patient["token"], {"id": cid}) as patient_updates, \
            subscribe(ws, on, doctor_token, {"id": cid}) as doctor_updates, \
            subscribe(ws, on_message, patient["token"], {"id": cid}) as patient_chat, \
            subscribe(ws, on_message, doctor_token, {"id": cid}) as doctor_chat, \
            subscribe(ws, on, stranger["token"], {"id": cid}) as stranger_updates:
        refused = await stranger_updates.next()
        assert error_codes(refused) == ["NOT_FOUND"]
        await asyncio.sleep(0.5)  # the subscriptions reach the video subgraph through the router

        join = contract_operation("JoinConsultation")
        patient_room = await gql(stack.url, join, {"id": cid}, token=patient["token"])
        doctor_room = await gql(stack.url, join, {"id": cid}, token=doctor_token)
        assert "errors" not in patient_room and "errors" not in doctor_room, (patient_room, doctor_room)
        room = doctor_room["data"]["joinConsultation"]
        assert room["roomName"] == f"consultation-{cid}"
        assert patient_room["data"]["joinConsultation"]["roomName"] == room["roomName"]
        own = VideoSettings()
        claims = jwt.decode(room["token"], own.livekit_api_secret, algorithms=["HS256"],
                            issuer=own.livekit_api_key)
        assert claims["sub"] == doctor["id"] and claims["video"] == {
            "room": f"consultation-{cid}", "roomJoin": True, "canPublish": True, "canSubscribe": True,
            "canPublishData": True}
        assert error_codes(await gql(stack.url, join, {"id": cid}, token=stranger["token"])) == ["NOT_FOUND"]

        for updates in (patient_updates, doctor_updates):
            started = await _until(updates, "consultationUpdated", "status", "IN_PROGRESS")
            assert started["startedAt"] is not None

        send = contract_operation("SendConsultationMessage")
        hello = await gql(stack.url, send, {"id": cid, "body": "안녕하세요, 선생님"}, token=patient["token"])
        assert hello["data"]["sendConsultationMessage"]["sender"] == {"id": patient["id"],
                                                                     "displayName": "환자"}
        reply = await gql(stack.url, send, {"id": cid, "body": "네, 말씀하세요"}, token=doctor_token)
        assert "errors" not in reply, reply
        for chat in (patient_chat, doctor_chat):
            bodies = [(await chat.next(timeout=10))["data"]["consultationMessageSent"] for _ in range(2)]
            assert [m["body"] for m in bodies] == ["안녕하세요, 선생님", "네, 말씀하세요"]
            assert bodies[1]["sender"] == {"id": doctor["id"], "displayName": "김닥터"}
        assert error_codes(await gql(stack.url, send, {"id": cid, "body": "끼어들기"},
                                     token=stranger["token"])) == ["NOT_FOUND"]

        # The doctor reads what was shared (since the consented date only); the stranger reads nothing.
        async def shared() -> list[float] | None:
            r = await gql(stack.url, SHARED, {"id": cid}, token=doctor_token)
            if "errors" in r:
                return None
            return [e["node"]["value"] for e in r["data"]["consultation"]["patient"]["measurements"]["edges"]]
        assert await _eventually(shared, "the doctor reads the shared measurements") == [222.0]
        peek = await gql(stack.url, SHARED, {"id": cid}, token=stranger["token"])
        assert error_codes(peek) == ["NOT_FOUND"]

        ended = await gql(stack.url, contract_operation("EndConsultation"), {"id": cid}, token=doctor_token)
        assert ended["data"]["endConsultation"]["status"] == "COMPLETED", ended
        for updates in (patient_updates, doctor_updates):
            assert (await _until(updates, "consultationUpdated", "status", "COMPLETED"))["endedAt"]

    medications = [{"name": "Metformin", "dosage": "500 mg", "frequency": "twice daily", "durationDays": 30}]
    issue = contract_operation("IssuePrescription")
    prescribed = await gql(stack.url, issue, {"input": {"consultationId": cid, "medications": medications}},
                           token=doctor_token)
    assert "errors" not in prescribed, prescribed
    prescription = prescribed["data"]["issuePrescription"]
    assert prescription["consultation"] == {"id": cid} and prescription["patient"] == {"id": patient["id"]}
    refused = await gql(stack.url, issue, {"input": {"consultationId": cid, "medications": medications}},
                        token=stranger["token"])
    assert error_codes(refused) == ["FORBIDDEN"]

    mine = await gql(stack.url, contract_operation("MyPrescriptions"), token=patient["token"])
    assert mine["data"]["me"]["prescriptions"] == [{
        "id": prescription["id"], "issuedAt": prescription["issuedAt"], "medications": medications,
        "doctor": {"id": doctor["id"], "displayName": "김닥터"}}]
    theirs = await gql(stack.url, contract_operation("MyPrescriptions"), token=stranger["token"])
    assert theirs["data"]["me"]["prescriptions"] == []
    # Once the consultation is over, the shared readings are closed again.
    assert await _eventually(lambda: _closed(stack, cid, doctor_token), "the grant closes")

    async def notified() -> set[str] | None:
        r = await gql(stack.url, contract_operation("Notifications"), {"first": 20}, token=patient["token"])
        types = {e["node"]["type"] for e in r["data"]["me"]["notifications"]["edges"]}
        wanted = {"CONSULTATION_SCHEDULED", "CONSULTATION_CONFIRMED", "CONSULTATION_REMINDER",
                  "CONSULTATION_STARTED", "CONSULTATION_ENDED", "PRESCRIPTION_ISSUED"}
        return types if wanted <= types else None
    await _eventually(notified, "the patient's notifications", tries=400)
    stranger_notes = await gql(stack.url, contract_operation("Notifications"), {"first": 20},
                               token=stranger["token"])
    assert all(not e["node"]["type"].startswith(("CONSULTATION", "PRESCRIPTION"))
               for e in stranger_notes["data"]["me"]["notifications"]["edges"])


async def _closed(stack: Stack, cid: str, doctor_token: str) -> bool:
    r = await gql(stack.url, SHARED, {"id": cid}, token=doctor_token)
    return "FORBIDDEN" in error_codes(r) and r["data"] is None
