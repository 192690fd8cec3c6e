"""Only a consultation's patient and doctor reach it, by any path: root fields, mutations, `_entities` sent
straight to the subgraph, subscriptions. Prescriptions: the consultation's doctor alone issues them, nobody
changes them, a correction is a new version."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from libs.config import Settings
from libs.testing.graphql import error_codes, gql
from subgraphs.video.models import ConsultationRow, PrescriptionRow
from subgraphs.video.resources import VideoResources
from tests.subgraphs.coaching.ws import subscribe
from tests.subgraphs.video.conftest import Person, call, doctor, in_progress, person

ISSUE = """mutation($input: IssuePrescriptionInput!) {
  issuePrescription(input: $input) {
    id version issuedAt current consultation { id } patient { id } replaces { id }
    medications { name dosage frequency durationDays }
  }
}"""
MEDS = [{"name": "Amoxicillin", "dosage": "500 mg", "frequency": "3x daily", "durationDays": 7}]
ENTITIES = """query($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on Consultation { id status reason messages { body } patient { id } }
  ... on Prescription { id medications { name } notes }
  ... on User { upcomingConsultations { id } prescriptions { id } }
} }"""
SEND = """mutation($id: ID!, $body: String!) {
  sendConsultationMessage(consultationId: $id, body: $body) { id body sentAt sender { id } }
}"""


def issue(consultation_id: str, meds: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"input": {"consultationId": consultation_id, "medications": meds or MEDS, **extra}}


async def _setup(video_url: str, video: VideoResources, settings: Settings) -> tuple[Person, Person, str]:
    doc, patient = await doctor(video, settings), person(settings)
    return doc, patient, await in_progress(video_url, patient, doc)


async def test_a_third_user_reaches_nothing_of_a_consultation(video_url: str, video: VideoResources,
                                                              settings: Settings) -> None:
    doc, patient, cid = await _setup(video_url, video, settings)
    sent = await gql(video_url, SEND, {"id": cid, "body": "어지러워요"}, token=patient.token)
    assert "errors" not in sent, sent
    prescribed = await gql(video_url, ISSUE, issue(cid), token=doc.token)
    pid = prescribed["data"]["issuePrescription"]["id"]
    stranger, other_doctor = person(settings), await doctor(video, settings)

    for outsider in (stranger, other_doctor):
        read = await gql(video_url, "query($id: ID!) { consultation(id: $id) { id status } }", {"id": cid},
                         token=outsider.token)
        assert error_codes(read) == ["NOT_FOUND"]
        for mutation in ("joinConsultation", "endConsultation", "cancelConsultation", "confirmConsultation"):
            fields = "token" if mutation == "joinConsultation" else "id"
            refused = await call(video_url, outsider, mutation, cid, fields)
            assert error_codes(refused) == ["NOT_FOUND"], mutation
        message = await gql(video_url, SEND, {"id": cid, "body": "hello"}, token=outsider.token)
        assert error_codes(message) == ["NOT_FOUND"]
        prescription = await gql(video_url, "query($id: ID!) { prescription(id: $id) { id } }",
                                 {"id": pid}, token=outsider.token)
        assert error_codes(prescription) == ["NOT_FOUND"]
        # Straight to the subgraph, as a router would: every field but the key is refused.
        reps = [{"__typename": "Consultation", "id": cid}, {"__typename": "Prescription", "id": pid},
                {"__typename": "User", "id": patient.id}]
        entities = await gql(video_url, ENTITIES, {"reps": reps}, token=outsider.token)
        assert set(error_codes(entities)) == {"FORBIDDEN"}
        assert all(e is None for e in entities["data"]["_entities"])  # nothing of theirs leaks
        consent = await gql(video_url, "mutation($id: ID!) { setRecordingConsent(consultationId: $id, "
                            "consent: true) { id } }", {"id": cid}, token=outsider.token)
        assert error_codes(consent) == ["NOT_FOUND"]

    # The participants read the same entities.
    for participant in (patient, doc):
        reps = [{"__typename": "Consultation", "id": cid}, {"__typename": "Prescription", "id": pid}]
        entities = await gql(video_url, ENTITIES, {"reps": reps}, token=participant.token)
        assert "errors" not in entities, entities
        assert entities["data"]["_entities"][0]["messages"] == [{"body": "어지러워요"}]
    own = await gql(video_url, ENTITIES, {"reps": [{"__typename": "User", "id": patient.id}]},
                    token=patient.token)
    assert own["data"]["_entities"][0]["prescriptions"] == [{"id": pid}]


async def test_a_third_user_cannot_subscribe_to_a_consultation(video_url: str, video: VideoResources,
                                                               settings: Settings) -> None:
    _, _, cid = await _setup(video_url, video, settings)
    for query in ("subscription($id: ID!) { consultationUpdated(id: $id) { id status } }",
                  "subscription($id: ID!) { consultationMessageSent(consultationId: $id) { id body } }"):
        async with subscribe(video_url.removesuffix("/graphql"), query, person(settings).token,
                             {"id": cid}) as sub:
            refused = await sub.next()
            assert error_codes(refused) == ["NOT_FOUND"] and refused["data"] is None


async def test_only_the_consultations_doctor_prescribes(video_url: str, video: VideoResources,
                                                        settings: Settings) -> None:
    doc, patient, cid = await _setup(video_url, video, settings)
    other_doctor = await doctor(video, settings)
    refused = await gql(video_url, ISSUE, issue(cid), token=other_doctor.token)
    assert error_codes(refused) == ["NOT_FOUND"]
    assert error_codes(await gql(video_url, ISSUE, issue(cid), token=patient.token)) == ["FORBIDDEN"]
    assert error_codes(await gql(video_url, ISSUE, issue(cid), token=person(settings).token)) == ["FORBIDDEN"]
    issued = await gql(video_url, ISSUE, issue(cid), token=doc.token)
    assert "errors" not in issued, issued
    p = issued["data"]["issuePrescription"]
    assert p["version"] == 1 and p["current"] and p["patient"] == {"id": patient.id}
    assert p["consultation"] == {"id": cid} and p["medications"] == MEDS


async def test_bad_prescriptions_name_the_field(video_url: str, video: VideoResources,
                                                settings: Settings) -> None:
    doc, _, cid = await _setup(video_url, video, settings)
    cases = {
        "medications": [],
        "medications.0.durationDays": [{**MEDS[0], "durationDays": 0}],
        "medications.1.name": [MEDS[0], {**MEDS[0], "name": "  "}],
    }
    for field, meds in cases.items():
        result = await gql(video_url, ISSUE, {"input": {"consultationId": cid, "medications": meds}},
                           token=doc.token)
        assert error_codes(result) == ["BAD_USER_INPUT"], field
        assert result["errors"][0]["extensions"]["field"] == field


async def test_a_prescription_is_corrected_by_a_new_version_never_changed(
        video_url: str, video: VideoResources, settings: Settings) -> None:
    doc, patient, cid = await _setup(video_url, video, settings)
    first = (await gql(video_url, ISSUE, issue(cid), token=doc.token))["data"]["issuePrescription"]
    again = await gql(video_url, ISSUE, issue(cid), token=doc.token)
    assert error_codes(again) == ["CONFLICT"] and again["errors"][0]["extensions"]["latestId"] == first["id"]
    fixed_meds = [{**MEDS[0], "dosage": "250 mg"}]
    second = await gql(video_url, ISSUE, issue(cid, fixed_meds, replaces=first["id"]), token=doc.token)
    assert "errors" not in second, second
    v2 = second["data"]["issuePrescription"]
    assert v2["version"] == 2 and v2["replaces"] == {"id": first["id"]} and v2["medications"] == fixed_meds
    stale = await gql(video_url, ISSUE, issue(cid, replaces=first["id"]), token=doc.token)
    assert error_codes(stale) == ["CONFLICT"]  # v1 was replaced already: corrections follow the latest
    listed = await gql(video_url, ENTITIES, {"reps": [{"__typename": "User", "id": patient.id}]},
                       token=patient.token)
    assert listed["data"]["_entities"][0]["prescriptions"] == [{"id": v2["id"]}]
    with_old = await gql(video_url, "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on "
                         "User { prescriptions(includeReplaced: true) { id version current } } } }",
                         {"reps": [{"__typename": "User", "id": patient.id}]}, token=patient.token)
    assert [(p["version"], p["current"]) for p in with_old["data"]["_entities"][0]["prescriptions"]] == [
        (2, True), (1, False)]
    # The database itself refuses to change an issued prescription.
    with pytest.raises(DBAPIError, match="immutable"):
        async with video.db.write() as repo:
            await repo.session.execute(update(PrescriptionRow).where(col(PrescriptionRow.id) == first["id"])
                                       .values(notes="changed"))


async def test_prescribing_closes_a_day_after_the_end(video_url: str, video: VideoResources,
                                                      settings: Settings) -> None:
    doc, _, cid = await _setup(video_url, video, settings)
    assert "errors" not in await call(video_url, doc, "endConsultation", cid)
    assert "errors" not in await gql(video_url, ISSUE, issue(cid), token=doc.token)  # just ended: fine
    doc2, _, cid2 = await _setup(video_url, video, settings)
    ended = await call(video_url, doc2, "endConsultation", cid2, "endedAt")
    assert "errors" not in ended
    async with video.db.write() as repo:  # the consultation ended 25 hours ago
        row = await repo.consultation(cid2)
        assert row is not None and row.ended_at is not None
        await repo.session.execute(update(ConsultationRow).where(col(ConsultationRow.id) == cid2)
                                   .values(ended_at=row.ended_at - timedelta(hours=25)))
    late = await gql(video_url, ISSUE, issue(cid2), token=doc2.token)
    assert error_codes(late) == ["CONFLICT"]


async def test_recordings_need_both_consents(video_url: str, video: VideoResources,
                                             settings: Settings) -> None:
    doc, patient, cid = await _setup(video_url, video, settings)
    add = """mutation($id: ID!) { addConsultationRecording(input: {consultationId: $id,
      storageLocation: "s3://recordings/a.mp4", durationSeconds: 1200}) {
        id storageLocation durationSeconds } }"""
    consent = "mutation($id: ID!, $c: Boolean!) { setRecordingConsent(consultationId: $id, consent: $c) " \
              "{ recordingConsent { patient doctor } } }"
    assert (await gql(video_url, add, {"id": cid}, token=doc.token))["errors"][0]["extensions"]["reason"] == \
        "NO_CONSENT"
    r = await gql(video_url, consent, {"id": cid, "c": True}, token=doc.token)
    assert r["data"]["setRecordingConsent"]["recordingConsent"] == {"patient": False, "doctor": True}
    assert error_codes(await gql(video_url, add, {"id": cid}, token=doc.token)) == ["FORBIDDEN"]
    await gql(video_url, consent, {"id": cid, "c": True}, token=patient.token)
    assert error_codes(await gql(video_url, add, {"id": cid}, token=patient.token)) == ["FORBIDDEN"]
    added = await gql(video_url, add, {"id": cid}, token=doc.token)
    assert added["data"]["addConsultationRecording"]["durationSeconds"] == 1200
    listed = await gql(video_url, "query($id: ID!) { consultation(id: $id) { recordings { id } } }",
                       {"id": cid}, token=patient.token)
    assert listed["data"]["consultation"]["recordings"] == [{"id": added["data"]["addConsultationRecording"]
                                                             ["id"]}]
