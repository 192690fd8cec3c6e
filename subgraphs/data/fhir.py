"""Exports as a FHIR R4 Bundle: a Patient, an Observation per measurement (LOINC code, UCUM units, the
vital-signs or laboratory category), a MedicationRequest per prescribed medication.

`fhir.resources` validates structure, types and cardinality (its R4B models: R4B equals R4 for Patient,
Observation, MedicationRequest and Bundle, https://hl7.org/fhir/R4B/r4b-explanation.html) but not value-set
bindings, invariants or profiles (DOMAIN-REFERENCES §2), so `vital_signs_problems` checks what the vital-signs
profile (http://hl7.org/fhir/StructureDefinition/vitalsigns) requires of each vital-sign Observation.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
VITAL_SIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
# The measurement types the vital-signs profile covers (its value set, DOMAIN-REFERENCES §2); blood markers
# are laboratory results.
VITAL_SIGNS = {"BLOOD_PRESSURE", "HEART_RATE", "OXYGEN_SATURATION", "BODY_TEMPERATURE", "BODY_WEIGHT"}
OBSERVATION_STATUS = {
    "registered",
    "preliminary",
    "final",
    "amended",
    "corrected",
    "cancelled",
    "entered-in-error",
    "unknown",
}


class ExportInvalid(Exception):
    """The bundle we built breaks FHIR or the vital-signs profile: a bug on our side, never sent out."""


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def observation(m: dict[str, Any], patient_ref: str) -> dict[str, Any]:
    vital = m["type"] in VITAL_SIGNS
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(m["measurementId"]),
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "vital-signs" if vital else "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": m["loinc"]}], "text": m["type"]},
        "subject": {"reference": patient_ref},
        "effectiveDateTime": m["takenAt"],
    }
    if vital:
        obs["meta"] = {"profile": [VITAL_SIGNS_PROFILE]}
    components = m.get("components") or []
    if components:
        obs["component"] = [
            {
                "code": {"coding": [{"system": LOINC, "code": c["loinc"]}], "text": c["code"]},
                "valueQuantity": _quantity(c["value"], c["unit"]),
            }
            for c in components
        ]
    if m.get("value") is not None and m.get("unit"):
        obs["valueQuantity"] = _quantity(m["value"], m["unit"])
    return obs


def medication_requests(p: dict[str, Any], patient_ref: str) -> list[dict[str, Any]]:
    out = []
    for i, med in enumerate(p.get("medications") or []):
        dosage = " ".join(str(med[k]) for k in ("dosage", "frequency") if med.get(k))
        request: dict[str, Any] = {
            "resourceType": "MedicationRequest",
            "id": f"{p['prescriptionId']}-{i}",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"text": str(med["name"])},
            "subject": {"reference": patient_ref},
            "authoredOn": p.get("issuedAt"),
            "dosageInstruction": [{"text": dosage}] if dosage else None,
        }
        if med.get("durationDays"):
            request["dispenseRequest"] = {
                "expectedSupplyDuration": {
                    "value": med["durationDays"],
                    "unit": "days",
                    "system": UCUM,
                    "code": "d",
                }
            }
        out.append({k: v for k, v in request.items() if v is not None})
    return out


def bundle(
    user_id: str,
    measurements: Sequence[dict[str, Any]],
    prescriptions: Sequence[dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    """A `collection` Bundle of everything exported, validated before it leaves (ExportInvalid if not)."""
    patient_ref = f"Patient/{user_id}"
    resources: list[dict[str, Any]] = [
        {
            "resourceType": "Patient",
            "id": user_id,
            "identifier": [{"system": "https://manpasik.com/user", "value": user_id}],
        }
    ]
    resources += [observation(m, patient_ref) for m in measurements]
    for p in prescriptions:
        resources += medication_requests(p, patient_ref)
    doc = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": now.isoformat(),
        "entry": [{"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": r} for r in resources],
    }
    validate(doc)
    return doc


def validate(doc: dict[str, Any]) -> None:
    try:
        Bundle.model_validate(doc)
    except Exception as e:  # pydantic's ValidationError, with every path that failed
        raise ExportInvalid(f"not a valid FHIR R4 Bundle: {e}") from e
    problems = [p for entry in doc.get("entry", []) for p in vital_signs_problems(entry.get("resource", {}))]
    if problems:
        raise ExportInvalid("; ".join(problems))


def vital_signs_problems(resource: dict[str, Any]) -> list[str]:
    """What the vital-signs profile requires and `fhir.resources` does not check (empty: conforms)."""
    if resource.get("resourceType") != "Observation":
        return []
    categories = [c for cat in resource.get("category", []) for c in cat.get("coding", [])]
    if not any(c.get("system") == CATEGORY and c.get("code") == "vital-signs" for c in categories):
        return []  # not a vital sign: the profile does not apply
    rid = f"Observation/{resource.get('id')}"
    problems = []
    if resource.get("status") not in OBSERVATION_STATUS:
        problems.append(f"{rid}: status is not an ObservationStatus code")
    if not any(
        c.get("system") == LOINC and c.get("code") for c in resource.get("code", {}).get("coding", [])
    ):
        problems.append(f"{rid}: code has no LOINC coding")
    if not str(resource.get("subject", {}).get("reference", "")).startswith("Patient/"):
        problems.append(f"{rid}: subject is not a Patient")
    if not (resource.get("effectiveDateTime") or resource.get("effectivePeriod")):
        problems.append(f"{rid}: no effective[x]")
    components = resource.get("component") or []
    if not (_ucum(resource.get("valueQuantity")) or resource.get("dataAbsentReason") or components):
        problems.append(f"{rid}: needs a UCUM valueQuantity, a dataAbsentReason or components (vs-2)")
    if "valueQuantity" in resource and not _ucum(resource["valueQuantity"]):
        problems.append(f"{rid}: valueQuantity is not UCUM (system {UCUM} and a code)")
    for i, c in enumerate(components):
        if not (_ucum(c.get("valueQuantity")) or c.get("dataAbsentReason")):
            problems.append(f"{rid}: component {i} needs a UCUM value or a dataAbsentReason (vs-3)")
        if not any(x.get("system") == LOINC for x in c.get("code", {}).get("coding", [])):
            problems.append(f"{rid}: component {i} has no LOINC coding")
    return problems


def _ucum(q: Any) -> bool:
    return (
        isinstance(q, dict) and q.get("system") == UCUM and bool(q.get("code")) and q.get("value") is not None
    )
