"""Our vital-signs profile checks catch what fhir.resources accepts (DOMAIN-REFERENCES §2), and a bundle we
build from odd but valid input still validates; prod refuses the dev key-encryption key."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B.observation import Observation

from libs.config import SettingsError
from subgraphs.data import fhir
from subgraphs.data.settings import DEV_KEK, DataSettings

HEART = {
    "measurementId": "m1",
    "type": "HEART_RATE",
    "loinc": "8867-4",
    "value": 72,
    "unit": "/min",
    "takenAt": "2026-01-01T00:30:00Z",
    "components": [],
}


def vital() -> dict[str, Any]:
    return fhir.observation(HEART, "Patient/u1")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda o: o.update(status="bogus"), "status"),
        (lambda o: o["code"]["coding"][0].update(system="http://snomed.info/sct"), "LOINC"),
        (lambda o: o["valueQuantity"].update(system="http://example.com/units"), "UCUM"),
        (lambda o: o.pop("valueQuantity"), "dataAbsentReason"),
        (lambda o: o.update(subject={"reference": "Device/d1"}), "Patient"),
        (lambda o: o.pop("effectiveDateTime"), "effective"),
    ],
)
def test_profile_rules_that_fhir_resources_does_not_enforce(change: Any, problem: str) -> None:
    obs = vital()
    assert fhir.vital_signs_problems(obs) == []
    bad = copy.deepcopy(obs)
    change(bad)
    if problem != "effective" and problem != "status":
        Observation.model_validate(bad)  # the package alone lets it through
    assert any(problem in p for p in fhir.vital_signs_problems(bad)), fhir.vital_signs_problems(bad)
    with pytest.raises(fhir.ExportInvalid):
        fhir.validate({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": bad}]})


def test_panel_components_need_values_and_laboratory_results_are_not_vital_signs() -> None:
    pressure = fhir.observation(
        {
            **HEART,
            "type": "BLOOD_PRESSURE",
            "loinc": "85354-9",
            "value": None,
            "unit": None,
            "components": [
                {"code": "SYSTOLIC", "loinc": "8480-6", "value": 128, "unit": "mm[Hg]"},
                {"code": "DIASTOLIC", "loinc": "8462-4", "value": 82, "unit": "mm[Hg]"},
            ],
        },
        "Patient/u1",
    )
    assert fhir.vital_signs_problems(pressure) == []
    pressure["component"][1].pop("valueQuantity")
    assert any("component 1" in p for p in fhir.vital_signs_problems(pressure))
    lab = fhir.observation(
        {**HEART, "type": "HBA1C", "loinc": "4548-4", "value": 6.1, "unit": "%"}, "Patient/u1"
    )
    assert lab["category"][0]["coding"][0]["code"] == "laboratory" and "meta" not in lab


def test_a_bundle_of_korean_prescriptions_and_no_measurements_validates() -> None:
    doc = fhir.bundle(
        "u1",
        [],
        [
            {
                "prescriptionId": "rx1",
                "issuedAt": "2026-01-02T01:00:00Z",
                "medications": [
                    {
                        "name": "메트포르민 500mg",
                        "dosage": "1정",
                        "frequency": "하루 두 번",
                        "durationDays": 30,
                    }
                ],
            }
        ],
        datetime.now(UTC),
    )
    kinds = [e["resource"]["resourceType"] for e in doc["entry"]]
    assert kinds == ["Patient", "MedicationRequest"]
    med = doc["entry"][1]["resource"]
    assert med["medicationCodeableConcept"]["text"] == "메트포르민 500mg"
    assert med["dispenseRequest"]["expectedSupplyDuration"]["code"] == "d"


def test_prod_refuses_the_dev_kek_and_settings_refuse_a_malformed_one() -> None:
    with pytest.raises(SettingsError):
        DataSettings(kek=DEV_KEK).refuse_dev_kek("prod")
    DataSettings(kek=DEV_KEK).refuse_dev_kek("dev")
    with pytest.raises(ValueError, match="DATA_KEK"):
        DataSettings(kek="k1:tooshort")
