"""Health-data protection of what video stores (issue 12), with the real data subgraph beside it: every
prescription and message is chained by its digest, an integrity check re-hashes what video stores and names a
prescription edited in the database, contents are ciphertext at rest and survive a key rotation, a doctor's
reads land in the patient's access log, and an erased patient's records go while the chain still verifies.

Video (with its workers) and data run on their own databases and Redis key space, so no other suite's
workers take their events."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.auth.tokens import issue_access_token
from libs.config import Settings
from libs.db.sql import drop_database
from libs.events import CloudEvent, EventPublisher
from libs.events.streams import AUTH_STREAM, USER_DELETION_REQUESTED
from libs.integrity import content_digest
from libs.testing import running_app
from libs.testing.graphql import error_codes, gql
from subgraphs.data.app import create_app as create_data_app
from subgraphs.data.resources import DataResources
from subgraphs.data.settings import DataSettings
from subgraphs.video.app import create_app as create_video_app
from subgraphs.video.resources import VideoResources
from subgraphs.video.sealing import PrescriptionContent
from subgraphs.video.settings import VideoSettings
from subgraphs.video.worker import VideoWorkers
from tests.subgraphs.video.conftest import LIVEKIT_SECRET, Person, doctor, in_progress, person

T = TypeVar("T")

ISSUE = """mutation($input: IssuePrescriptionInput!) {
  issuePrescription(input: $input) { id version medications { name dosage frequency durationDays } notes }
}"""
SEND = """mutation($id: ID!, $body: String!) {
  sendConsultationMessage(consultationId: $id, body: $body) { id } }"""
READ_RX = "query($id: ID!) { prescription(id: $id) { id medications { name dosage } notes } }"
READ_MESSAGES = "query($id: ID!) { consultation(id: $id) { messages { id body } } }"
RUN = "mutation { runIntegrityCheck { id } }"
CHECKS = """query { integrityChecks(first: 20) {
  id finishedAt ok firstBadBlockId problems recordsChecked } }"""
MEDS = [{"name": "Metformin", "dosage": "500 mg", "frequency": "2x daily", "durationDays": 30}]
NOTE = "식후 복용, 저혈당 증상 시 연락"
BODY = "어제부터 공복 혈당이 180 이상이에요"


@dataclass
class Stack:
    settings: Settings
    video_url: str
    data_url: str
    video: VideoResources
    data: DataResources

    async def data_rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.data.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())

    async def video_rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.video.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())


@pytest.fixture(scope="module")
async def stack(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    own = settings.model_copy(update={"redis_prefix": settings.redis_prefix + "vp:",
                                      "db_suffix": settings.db_suffix + "_vp"})
    video_own = VideoSettings(workers=False, livekit_url="wss://sfu.example.test", livekit_api_key="APItest",
                              livekit_api_secret=LIVEKIT_SECRET, reseal_interval_s=3600)
    data_own = DataSettings(backup_dir=Path(tmp_path_factory.mktemp("vp-backups")),
                            record_streams="consultation", integrity_domains="prescription,message",
                            backup_sql="data:mps_data", backup_mongo="")
    video_app, data_app = create_video_app(own, video_own), create_data_app(own, data_own)
    try:
        async with running_app(video_app) as v_base, running_app(data_app) as d_base:
            video: VideoResources = video_app.state.resources
            async with VideoWorkers(video, block_ms=50, reminder_interval_s=3600).running():
                yield Stack(own, v_base + "/graphql", d_base + "/graphql", video, data_app.state.resources)
    finally:
        for own_db in (video_own.database, data_own.database):
            await drop_database(own.sql_url(own_db))


async def eventually(probe: Callable[[], Awaitable[T | None]], wait_s: float = 20.0) -> T:
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        found = await probe()
        if found is not None and found is not False and found != []:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.1)


def admin_token(stack: Stack) -> str:
    admin = secrets.token_hex(8)
    return issue_access_token(stack.settings, admin, ["USER", "ADMIN"], secrets.token_hex(8))[0]


async def run_check(stack: Stack) -> dict[str, Any]:
    token = admin_token(stack)
    started = await gql(stack.data_url, RUN, token=token)
    assert "errors" not in started, started
    check_id = started["data"]["runIntegrityCheck"]["id"]

    async def finished() -> dict[str, Any] | None:
        checks = (await gql(stack.data_url, CHECKS, token=token))["data"]["integrityChecks"]
        found = [c for c in checks if c["id"] == check_id and c["finishedAt"]]
        return found[0] if found else None

    return await eventually(finished)


async def consultation_with_records(stack: Stack) -> tuple[Person, Person, str, str, str]:
    """(doctor, patient, consultation, prescription, message), both records chained by the data subgraph."""
    doc, patient = await doctor(stack.video, stack.settings), person(stack.settings)
    cid = await in_progress(stack.video_url, patient, doc)
    sent = await gql(stack.video_url, SEND, {"id": cid, "body": BODY}, token=patient.token)
    assert "errors" not in sent, sent
    issued = await gql(stack.video_url, ISSUE, {"input": {"consultationId": cid, "medications": MEDS,
                                                          "notes": NOTE}}, token=doc.token)
    assert "errors" not in issued, issued
    pid, mid = issued["data"]["issuePrescription"]["id"], sent["data"]["sendConsultationMessage"]["id"]
    await eventually(lambda: _at_least(lambda: stack.data_rows(
        "SELECT seq FROM data_blocks WHERE record_id IN (:p, :m)", p=pid, m=mid), 2))
    return doc, patient, cid, pid, mid


async def test_each_record_is_chained_with_the_digest_of_what_is_stored(stack: Stack) -> None:
    doc, patient, cid, pid, mid = await consultation_with_records(stack)
    blocks = {r.record_id: r for r in await stack.data_rows(
        "SELECT record_id, domain, user_id, writer, digest FROM data_blocks WHERE record_id IN (:p, :m)",
        p=pid, m=mid)}
    rx, msg = blocks[pid], blocks[mid]
    assert (rx.domain, rx.user_id, rx.writer) == ("prescription", patient.id, doc.id)
    # A message is the patient's health record whoever wrote it; the patient wrote this one.
    assert (msg.domain, msg.user_id, msg.writer) == ("message", patient.id, patient.id)

    # The chained digest is that of the stored record, computed independently here from its plaintext.
    async with stack.video.db.read() as repo:
        row = await repo.prescription(pid)
        assert row is not None
        content = await stack.video.deps.sealer.prescription(row)
    assert content == PrescriptionContent(MEDS, NOTE)
    assert blocks[pid].digest == content_digest({
        "id": pid, "consultationId": cid, "patientId": patient.id, "doctorId": doc.id, "version": 1,
        "replacesId": None, "medications": MEDS, "notes": NOTE, "issuedAt": row.issued_at})

    check = await run_check(stack)
    assert check["ok"] is True, check
    assert check["recordsChecked"] >= 2


async def test_a_prescription_edited_in_the_database_is_named_by_the_integrity_check(stack: Stack) -> None:
    _, _, _, pid, mid = await consultation_with_records(stack)
    seq = (await stack.data_rows("SELECT seq FROM data_blocks WHERE record_id = :r", r=pid))[0].seq
    mseq = (await stack.data_rows("SELECT seq FROM data_blocks WHERE record_id = :r", r=mid))[0].seq
    assert (await run_check(stack))["ok"] is True
    original = (await stack.video_rows("SELECT sealed FROM video_prescriptions WHERE id = :p",
                                       p=pid))[0].sealed

    async def set_sealed(engine: AsyncEngine, blob: bytes) -> None:
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE video_prescriptions SET sealed = :b WHERE id = :p"),
                               {"b": blob, "p": pid})

    try:
        # Someone holding the key changes the dose and seals it again properly: it decrypts, but differs.
        async with stack.video.db.write() as repo:
            row = await repo.prescription(pid)
            assert row is not None
            stack.video.deps.sealer.seal_prescription(row, PrescriptionContent(
                [{**MEDS[0], "dosage": "1000 mg"}], NOTE))
        found = await run_check(stack)
        assert found["ok"] is False
        assert found["firstBadBlockId"] == f"records:{seq}"
        assert any(pid in p for p in found["problems"]), found["problems"]

        # Someone without it flips a byte of the ciphertext: unreadable, named too (the check still ends).
        await set_sealed(stack.video.engine, original[:-1] + bytes([original[-1] ^ 1]))
        assert (await run_check(stack))["firstBadBlockId"] == f"records:{seq}"

        # A message's ciphertext copied onto the prescription does not decrypt there (associated data).
        moved = (await stack.video_rows("SELECT sealed FROM video_messages WHERE id = :m", m=mid))[0].sealed
        await set_sealed(stack.video.engine, moved)
        assert (await run_check(stack))["firstBadBlockId"] == f"records:{seq}"

        # A deleted message is named as missing from its store.
        await set_sealed(stack.video.engine, original)
        async with stack.video.engine.begin() as conn:
            saved = (await conn.execute(text("SELECT * FROM video_messages WHERE id = :m"), {"m": mid})).one()
            await conn.execute(text("DELETE FROM video_messages WHERE id = :m"), {"m": mid})
        missing = await run_check(stack)
        assert missing["firstBadBlockId"] == f"records:{mseq}", missing
        async with stack.video.engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO video_messages (id, consultation_id, sender_id, body, sealed, key_version, "
                "sent_at) VALUES (:id, :consultation_id, :sender_id, :body, :sealed, :key_version, "
                ":sent_at)"),
                saved._asdict())
    finally:
        await set_sealed(stack.video.engine, original)
    assert (await run_check(stack))["ok"] is True


async def test_contents_are_ciphertext_at_rest_and_readable_across_a_key_rotation(stack: Stack) -> None:
    doc, patient, cid, pid, mid = await consultation_with_records(stack)
    rx = (await stack.video_rows("SELECT medications, notes, sealed, key_version FROM video_prescriptions "
                                 "WHERE id = :p", p=pid))[0]
    msg = (await stack.video_rows("SELECT body, sealed, key_version FROM video_messages WHERE id = :m",
                                  m=mid))[0]
    assert rx.medications is None and rx.notes is None and msg.body is None
    for blob, plain in ((rx.sealed, "Metformin"), (rx.sealed, NOTE), (msg.sealed, BODY)):
        assert plain.encode() not in blob and b"500 mg" not in blob
    first_version = rx.key_version
    assert msg.key_version == first_version

    async def reads_plaintext() -> None:
        read = await gql(stack.video_url, READ_RX, {"id": pid}, token=patient.token)
        assert read["data"]["prescription"] == {
            "id": pid, "medications": [{"name": "Metformin", "dosage": "500 mg"}], "notes": NOTE}
        messages = await gql(stack.video_url, READ_MESSAGES, {"id": cid}, token=doc.token)
        assert messages["data"]["consultation"]["messages"] == [{"id": mid, "body": BODY}]

    await reads_plaintext()
    async with stack.video.db.write() as repo:
        new_version = await stack.video.deps.sealer.rotate(repo)
    assert new_version > first_version
    await reads_plaintext()  # old rows under the retired key still decrypt

    # A row from before encryption (plaintext columns, as the migration left them) is readable too.
    legacy_id = secrets.token_hex(8)
    async with stack.video.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO video_prescriptions (id, consultation_id, patient_id, doctor_id, version, "
            "medications, notes, issued_at) VALUES (:id, :c, :p, :d, 9, :m, 'legacy', now())"),
            {"id": legacy_id, "c": cid, "p": patient.id, "d": doc.id, "m": json.dumps(MEDS)})
    legacy = await gql(stack.video_url, READ_RX, {"id": legacy_id}, token=patient.token)
    assert legacy["data"]["prescription"]["notes"] == "legacy"

    worker = VideoWorkers(stack.video)
    while await worker.reseal():  # the background pass, run to its end
        pass
    keys = {r.version: r for r in await stack.video_rows("SELECT version, status, wrapped "
                                                         "FROM video_encryption_keys")}
    assert keys[new_version].status == "ACTIVE"
    assert keys[first_version].status == "DESTROYED" and keys[first_version].wrapped is None
    stale = await stack.video_rows(
        "SELECT id FROM video_prescriptions WHERE key_version IS DISTINCT FROM :v "
        "UNION ALL SELECT id FROM video_messages WHERE key_version IS DISTINCT FROM :v", v=new_version)
    assert stale == []
    legacy_row = (await stack.video_rows("SELECT medications, notes FROM video_prescriptions WHERE id = :i",
                                         i=legacy_id))[0]
    assert legacy_row.medications is None and legacy_row.notes is None  # sealed now
    await reads_plaintext()
    assert (await gql(stack.video_url, READ_RX, {"id": legacy_id}, token=patient.token)
            )["data"]["prescription"]["notes"] == "legacy"
    async with stack.video.engine.begin() as conn:
        await conn.execute(text("DELETE FROM video_prescriptions WHERE id = :i"), {"i": legacy_id})


async def test_a_doctors_reads_are_in_the_patients_access_log_but_not_the_patients_own(stack: Stack) -> None:
    doc, patient, cid, pid, _ = await consultation_with_records(stack)

    async def entries() -> list[Any]:
        return await stack.data_rows(
            "SELECT actor_id, action, resource FROM data_audit_logs WHERE subject_id = :s", s=patient.id)

    # Writing the prescription changed the patient's record (and its response showed it to the doctor).
    written = await eventually(lambda: _at_least(entries, 2))
    assert {(e.actor_id, e.action, e.resource) for e in written} == {
        (doc.id, "CHANGE", f"prescription/{pid}"), (doc.id, "READ", f"prescription/{pid}")}
    for _ in range(2):  # the patient reading their own records is nobody else's access
        assert "errors" not in await gql(stack.video_url, READ_RX, {"id": pid}, token=patient.token)
        assert "errors" not in await gql(stack.video_url, READ_MESSAGES, {"id": cid}, token=patient.token)
    await asyncio.sleep(0.5)
    assert len(await entries()) == 2

    assert "errors" not in await gql(stack.video_url, READ_RX, {"id": pid}, token=doc.token)
    # Through the federated User too, as the router would send it: same record, same entry per request.
    through_user = await gql(stack.video_url, """query($r: [_Any!]!) { _entities(representations: $r) {
      ... on User { prescriptions { id medications { name } notes } } } }""",
                             {"r": [{"__typename": "User", "id": patient.id}]}, token=doc.token)
    assert error_codes(through_user) == ["FORBIDDEN"]  # only the patient lists their prescriptions
    assert "errors" not in await gql(stack.video_url, READ_MESSAGES, {"id": cid}, token=doc.token)
    found = await eventually(lambda: _at_least(entries, 4))
    assert sorted((e.actor_id, e.action, e.resource) for e in found) == sorted([
        (doc.id, "CHANGE", f"prescription/{pid}"), (doc.id, "READ", f"prescription/{pid}"),
        (doc.id, "READ", f"prescription/{pid}"), (doc.id, "READ", f"consultation/{cid}/messages")])


async def _at_least(probe: Callable[[], Awaitable[list[Any]]], n: int) -> list[Any] | None:
    rows = await probe()
    return rows if len(rows) >= n else None


async def test_an_erased_patients_records_go_and_the_chain_still_verifies(stack: Stack) -> None:
    doc, patient, cid, pid, mid = await consultation_with_records(stack)
    assert "errors" not in await gql(stack.video_url, READ_RX, {"id": pid}, token=doc.token)  # audited
    await eventually(lambda: stack.data_rows("SELECT 1 FROM data_audit_logs WHERE subject_id = :s",
                                             s=patient.id))
    _, _, _, kept_pid, kept_mid = await consultation_with_records(stack)

    await EventPublisher(stack.video.redis, stack.settings).publish(AUTH_STREAM, CloudEvent.new(
        USER_DELETION_REQUESTED, "/subgraphs/auth", patient.id, {"userId": patient.id}))

    async def gone() -> bool:
        left = await stack.video_rows("SELECT id FROM video_prescriptions WHERE patient_id = :p UNION ALL "
                                      "SELECT id FROM video_messages WHERE consultation_id = :c",
                                      p=patient.id, c=cid)
        erased = await stack.data_rows("SELECT erased_at FROM data_blocks WHERE user_id = :u", u=patient.id)
        return not left and bool(erased) and all(r.erased_at is not None for r in erased)

    await eventually(gone)
    reason = await stack.video_rows("SELECT reason FROM video_consultations WHERE id = :c", c=cid)
    assert reason[0].reason is None
    assert not await stack.video_rows("SELECT id FROM video_messages WHERE id = :m", m=mid)
    assert error_codes(await gql(stack.video_url, READ_RX, {"id": pid}, token=doc.token)) == ["NOT_FOUND"]
    # Other patients' records stay; the audit entries about the erased patient are kept.
    assert await stack.video_rows("SELECT id FROM video_prescriptions WHERE id = :p", p=kept_pid)
    assert await stack.video_rows("SELECT id FROM video_messages WHERE id = :m", m=kept_mid)
    kept = await stack.data_rows("SELECT action FROM data_audit_logs WHERE subject_id = :s", s=patient.id)
    assert {"READ", "ERASE"} <= {r.action for r in kept}
    assert (await run_check(stack))["ok"] is True


async def test_an_admins_key_rotation_rotates_videos_keys_and_everything_stays_readable(stack: Stack) -> None:
    doc, patient, cid, pid, mid = await consultation_with_records(stack)
    before = max(r.version for r in await stack.video_rows("SELECT version FROM video_encryption_keys"))
    rotate = "mutation { rotateEncryptionKey { version } }"
    rotated = await gql(stack.data_url, rotate, token=admin_token(stack))
    assert "errors" not in rotated, rotated

    async def our_new_key() -> int | None:
        rows = await stack.video_rows("SELECT version FROM video_encryption_keys WHERE status = 'ACTIVE'")
        return rows[0].version if rows and rows[0].version > before else None

    version = await eventually(our_new_key)
    assert version == before + 1  # one new key per rotation, however often the event is delivered
    # The re-encryption pass, woken by the rotation, moves this consultation's rows to the new key.
    await eventually(lambda: _at_least(lambda: stack.video_rows(
        "SELECT id FROM video_prescriptions WHERE id = :p AND key_version = :v UNION ALL "
        "SELECT id FROM video_messages WHERE id = :m AND key_version = :v", p=pid, m=mid, v=version), 2))
    read = await gql(stack.video_url, READ_RX, {"id": pid}, token=patient.token)
    assert read["data"]["prescription"]["notes"] == NOTE
    messages = await gql(stack.video_url, READ_MESSAGES, {"id": cid}, token=doc.token)
    assert messages["data"]["consultation"]["messages"] == [{"id": mid, "body": BODY}]
    assert (await run_check(stack))["ok"] is True  # re-encryption changes no digest
