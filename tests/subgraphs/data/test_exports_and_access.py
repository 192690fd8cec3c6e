"""Exports and the access log: a FHIR export validates (fhir.resources and the vital-signs profile rules), a
CSV export holds the readings, both are stored encrypted and downloaded by the owner alone through a
short-lived signed link (audited); another user reaches neither the export nor the log by any path; a doctor's
read reported through the libs.audit hook shows in the patient's log."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import text

from libs.audit import AccessAction, access, publish_access
from libs.events import CloudEvent, EventPublisher
from libs.events.streams import CONSULTATION_CONFIRMED, CONSULTATION_STREAM
from libs.testing.graphql import error_codes, gql
from libs.time import utcnow
from subgraphs.data.fhir import vital_signs_problems
from tests.subgraphs.data.conftest import Stack, eventually, new_user

EXPORT = (
    "mutation($format: ExportFormat!) { requestDataExport(format: $format) { id status format requestedAt } }"
)
MY_EXPORTS = """query($r: [_Any!]!) { _entities(representations: $r) { ... on User {
  dataExports { id status format requestedAt completedAt downloadUrl } } } }"""
MY_LOG = """query($r: [_Any!]!, $first: Int!) { _entities(representations: $r) { ... on User {
  accessLog(first: $first) { edges { node { at actor { id } action resource requestId } }
  pageInfo { hasNextPage } } } } }"""
ADMIN_LOG = "query($u: ID!) { accessLog(userId: $u, first: 50) { edges { node { action actor { id } } } } }"


def rep(user_id: str) -> dict[str, Any]:
    return {"r": [{"__typename": "User", "id": user_id}]}


async def ready_export(stack: Stack, user: str, fmt: str) -> dict[str, Any]:
    requested = await stack.as_user(user, EXPORT, {"format": fmt})
    assert "errors" not in requested, requested
    export_id = requested["data"]["requestDataExport"]["id"]
    assert requested["data"]["requestDataExport"]["status"] == "PENDING"

    async def ready() -> dict[str, Any] | None:
        result = await stack.as_user(user, MY_EXPORTS, rep(user))
        found = [e for e in result["data"]["_entities"][0]["dataExports"] if e["id"] == export_id]
        return found[0] if found and found[0]["status"] == "READY" else None

    return await eventually(ready)


async def chained_all(stack: Stack, user: str, n: int) -> bool | None:
    async with stack.data.engine.connect() as conn:
        count = await conn.scalar(text("SELECT count(*) FROM data_blocks WHERE user_id = :u"), {"u": user})
    return True if count == n else None


async def test_fhir_export_validates_and_only_its_owner_downloads_it(stack: Stack) -> None:
    owner, other = new_user(), new_user()
    await stack.record(
        owner,
        value=None,
        type_="BLOOD_PRESSURE",
        unit="mm[Hg]",
        components=[{"code": "SYSTOLIC", "value": 128}, {"code": "DIASTOLIC", "value": 82}],
    )
    await stack.record(owner, value=98.0)
    await stack.record(owner, value=72.0, type_="HEART_RATE", unit="/min")
    await eventually(lambda: chained_all(stack, owner, 3))

    export = await ready_export(stack, owner, "FHIR_JSON")
    url = export["downloadUrl"]
    async with httpx.AsyncClient() as http:
        # The link names the data subgraph's public URL; the test serves it on another port.
        local = stack.data_url.removesuffix("/graphql") + urlsplit(url).path + "?" + urlsplit(url).query
        response = await http.get(local)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/fhir+json")
        doc = json.loads(response.content)
        Bundle.model_validate(doc)  # structure, types, cardinality (R4B = R4 for these resources)
        resources = [e["resource"] for e in doc["entry"]]
        assert [r["resourceType"] for r in resources].count("Observation") == 3
        assert resources[0] == {
            "resourceType": "Patient",
            "id": owner,
            "identifier": [{"system": "https://manpasik.com/user", "value": owner}],
        }
        by_code = {r["code"]["coding"][0]["code"]: r for r in resources if r["resourceType"] == "Observation"}
        heart = by_code["8867-4"]
        assert heart["category"][0]["coding"][0]["code"] == "vital-signs"
        assert heart["valueQuantity"] == {
            "value": 72,
            "unit": "/min",
            "system": "http://unitsofmeasure.org",
            "code": "/min",
        }
        pressure = by_code["85354-9"]
        assert pressure["category"][0]["coding"][0]["code"] == "vital-signs"
        assert "valueQuantity" not in pressure
        assert {
            c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in pressure["component"]
        } == {"8480-6": 128, "8462-4": 82}
        assert all(c["valueQuantity"]["code"] == "mm[Hg]" for c in pressure["component"])
        glucose = next(r for c, r in by_code.items() if c not in ("8867-4", "85354-9"))
        assert glucose["category"][0]["coding"][0]["code"] == "laboratory"
        assert glucose["valueQuantity"]["code"] == "mg/dL"
        assert all(vital_signs_problems(r) == [] for r in resources)

        # Someone else with the link, an altered link, an expired one: refused.
        query = parse_qs(urlsplit(url).query)
        base = stack.data_url.removesuffix("/graphql") + urlsplit(url).path
        forged = await http.get(
            base + "?" + urlencode({**{k: v[0] for k, v in query.items()}, "user": other})
        )
        assert forged.status_code == 403
        past = str(int((utcnow() - timedelta(minutes=1)).timestamp()))
        expired = await http.get(
            base + "?" + urlencode({**{k: v[0] for k, v in query.items()}, "expires": past})
        )
        assert expired.status_code == 403

    # Another user through every GraphQL path: the subgraph's _entities straight, with their own token.
    theirs = await stack.as_user(other, MY_EXPORTS, rep(owner))
    assert error_codes(theirs) == ["FORBIDDEN"]
    log = await stack.as_user(other, MY_LOG, {**rep(owner), "first": 10})
    assert error_codes(log) == ["FORBIDDEN"]
    assert error_codes(await stack.as_user(other, ADMIN_LOG, {"u": owner})) == ["FORBIDDEN"]

    # The stored export is ciphertext: no LOINC code, no value in the clear.
    async with stack.data.engine.connect() as conn:
        stored = await conn.scalar(
            text("SELECT content FROM data_exports WHERE id = :i"), {"i": export["id"]}
        )
        payloads = (
            (await conn.execute(text("SELECT payload FROM data_blocks WHERE user_id = :u"), {"u": owner}))
            .scalars()
            .all()
        )
    assert stored and b"8867-4" not in stored and b"Observation" not in stored
    assert payloads and all(b"HEART_RATE" not in p and b"mg/dL" not in p for p in payloads)

    # The owner's log shows the export and the download.
    mine = await stack.as_user(owner, MY_LOG, {**rep(owner), "first": 10})
    actions = [e["node"]["action"] for e in mine["data"]["_entities"][0]["accessLog"]["edges"]]
    assert actions[:2] == ["DOWNLOAD", "EXPORT"], actions


async def test_csv_export_holds_every_reading(stack: Stack) -> None:
    owner = new_user()
    await stack.record(owner, value=5.4, type_="BLOOD_GLUCOSE", unit="mmol/L")
    await stack.record(owner, value=36.6, type_="BODY_TEMPERATURE", unit="Cel")
    await eventually(lambda: chained_all(stack, owner, 2))
    export = await ready_export(stack, owner, "CSV")
    split = urlsplit(export["downloadUrl"])
    async with httpx.AsyncClient() as http:
        response = await http.get(stack.data_url.removesuffix("/graphql") + split.path + "?" + split.query)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(r["type"] for r in rows) == ["BLOOD_GLUCOSE", "BODY_TEMPERATURE"]
    temperature = next(r for r in rows if r["type"] == "BODY_TEMPERATURE")
    assert (temperature["value"], temperature["unit"], temperature["loinc"]) == ("36.6", "Cel", "8310-5")


SHARED = """query($r: [_Any!]!) { _entities(representations: $r) { ... on User {
  measurements(type: BLOOD_GLUCOSE, first: 10) { edges { node { id value } } } } } }"""


async def test_a_doctors_read_of_shared_measurements_shows_in_the_patients_access_log(stack: Stack) -> None:
    patient, doctor = new_user(), new_user()
    await stack.record(patient, value=140.0)
    # The video subgraph announces a consultation with the patient's consent to share (its documented event).
    now = datetime.now(UTC)
    await EventPublisher(stack.data.redis, stack.settings).publish(
        CONSULTATION_STREAM,
        CloudEvent.new(
            CONSULTATION_CONFIRMED,
            "/subgraphs/video",
            patient,
            {
                "consultationId": uuid.uuid4().hex,
                "patientId": patient,
                "doctorId": doctor,
                "doctorName": "Dr. Kim",
                "status": "CONFIRMED",
                "scheduledAt": now.isoformat(),
                "shareMeasurementsSince": (now - timedelta(days=30)).isoformat(),
                "windowStart": (now - timedelta(hours=1)).isoformat(),
                "windowEnd": (now + timedelta(hours=1)).isoformat(),
            },
        ),
    )

    async def doctor_reads() -> dict[str, Any] | None:
        result = await stack.as_user(
            doctor, SHARED, rep(patient), roles=("DOCTOR",), url=stack.measurement_url
        )
        return None if "errors" in result else result

    read = await eventually(doctor_reads)
    assert [e["node"]["value"] for e in read["data"]["_entities"][0]["measurements"]["edges"]] == [140.0]

    async def logged() -> list[Any] | None:
        result = await stack.as_user(patient, MY_LOG, {**rep(patient), "first": 10})
        edges = result["data"]["_entities"][0]["accessLog"]["edges"]
        return [e for e in edges if e["node"]["action"] == "READ"] or None

    node = (await eventually(logged))[0]["node"]
    assert node["actor"]["id"] == doctor and node["resource"].startswith("measurements:BLOOD_GLUCOSE")
    # Admins read anyone's log; the doctor cannot read the patient's, nor a stranger.
    admin = await stack.as_user(new_user(), ADMIN_LOG, {"u": patient}, roles=("ADMIN",))
    assert doctor in [e["node"]["actor"]["id"] for e in admin["data"]["accessLog"]["edges"]]
    for who, roles in ((doctor, ("DOCTOR",)), (new_user(), ("USER",))):
        refused = await stack.as_user(who, MY_LOG, {**rep(patient), "first": 10}, roles=roles)
        assert error_codes(refused) == ["FORBIDDEN"]


async def test_the_audit_hook_alone_reaches_the_log(stack: Stack) -> None:
    patient, actor = new_user(), new_user()
    publisher = EventPublisher(stack.data.redis, stack.settings)
    await publish_access(
        publisher, "/subgraphs/video", [access(actor, patient, AccessAction.READ, "prescription/rx-1")]
    )

    async def logged() -> list[Any] | None:
        result = await stack.as_user(patient, MY_LOG, {**rep(patient), "first": 10})
        return result["data"]["_entities"][0]["accessLog"]["edges"] or None

    node = (await eventually(logged))[0]["node"]
    assert (node["actor"]["id"], node["action"], node["resource"]) == (actor, "READ", "prescription/rx-1")


async def test_bad_input_gets_clear_errors(stack: Stack) -> None:
    user = new_user()
    bad = await stack.as_user(user, MY_LOG, {**rep(user), "first": 0})
    assert error_codes(bad) == ["BAD_USER_INPUT"] and bad["errors"][0]["extensions"]["field"] == "first"
    cursor = await stack.as_user(
        user,
        """query($r: [_Any!]!) { _entities(representations: $r) { ... on User {
        accessLog(first: 5, after: "nonsense") { edges { cursor } } } } }""",
        rep(user),
    )
    assert error_codes(cursor) == ["BAD_USER_INPUT"]
    unknown = await stack.as_user(user, EXPORT, {"format": "PDF"})
    assert "errors" in unknown
    assert error_codes(await gql(stack.data_url, EXPORT, {"format": "CSV"})) == ["UNAUTHENTICATED"]
