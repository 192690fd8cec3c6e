"""The catalogue covers the contract's types with LOINC codes, UCUM units and sound conversions."""

from __future__ import annotations

import re

import pytest

from subgraphs.measurement.catalogue import CATALOGUE, MeasurementType
from subgraphs.measurement.units import normalise_unit

CONTRACT_TYPES = {
    "BLOOD_GLUCOSE",
    "HBA1C",
    "LIPID_PANEL",
    "URIC_ACID",
    "CREATININE",
    "VITAMIN_D",
    "VITAMIN_B12",
    "FERRITIN",
    "TSH",
    "CORTISOL",
    "TESTOSTERONE",
    "ESTRADIOL",
    "CRP",
    "INSULIN",
    "KETONE",
    "BLOOD_PRESSURE",
    "HEART_RATE",
    "OXYGEN_SATURATION",
    "BODY_TEMPERATURE",
    "BODY_WEIGHT",
}
LOINC = re.compile(r"^\d{1,5}-\d$")


def _loinc_check_digit_ok(code: str) -> bool:
    """LOINC's mod-10 check digit (the Luhn variant LOINC documents), catching typos in codes."""
    body, check = code.split("-")
    digits = [int(d) for d in body][::-1]
    total = 0
    for i, d in enumerate(digits):
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return (10 - total % 10) % 10 == int(check)


def test_every_contract_type_is_in_the_catalogue() -> None:
    assert {t.value for t in MeasurementType} == CONTRACT_TYPES == {t.value for t in CATALOGUE}


def test_loinc_codes_are_well_formed_with_valid_check_digits() -> None:
    codes = set()
    for spec in CATALOGUE.values():
        codes |= {spec.loinc, *spec.loinc_by_source.values()}
        codes |= {q.loinc for q in ([spec.value] if spec.value else []) + list(spec.components)}
    bad = sorted(c for c in codes if not LOINC.match(c) or not _loinc_check_digit_ok(c))
    assert bad == []


def test_panels_have_components_and_single_values_have_a_unit() -> None:
    for spec in CATALOGUE.values():
        assert (spec.value is None) == spec.is_panel, spec.type
        for q in [spec.value] if spec.value else spec.components:
            assert q.low < q.high and q.unit in q.units


@pytest.mark.parametrize(
    ("type_", "unit", "value", "canonical"),
    [
        (MeasurementType.BLOOD_GLUCOSE, "mmol/L", 7.0, 126.1092),  # ADA FPG threshold 7.0 mmol/L = 126 mg/dL
        (MeasurementType.HBA1C, "mmol/mol", 48, 6.5425),  # ADA A1C 6.5 % = 48 mmol/mol
        (MeasurementType.BODY_TEMPERATURE, "[degF]", 100.4, 38.0),  # CDC fever 100.4 °F = 38.0 °C
        (MeasurementType.CREATININE, "umol/L", 88.42, 1.0),
        (MeasurementType.BODY_WEIGHT, "[lb_av]", 100, 45.359237),
    ],
)
def test_conversions(type_: MeasurementType, unit: str, value: float, canonical: float) -> None:
    q = CATALOGUE[type_].value
    assert q is not None
    assert q.units[unit].to_canonical(value) == pytest.approx(canonical, abs=1e-3)
    assert q.units[unit].from_canonical(q.units[unit].to_canonical(value)) == pytest.approx(value)


def test_unit_aliases_resolve_to_ucum() -> None:
    bp = CATALOGUE[MeasurementType.BLOOD_PRESSURE].components[0].units
    assert normalise_unit("mmHg", bp) == "mm[Hg]"
    assert normalise_unit("MG/DL", CATALOGUE[MeasurementType.BLOOD_GLUCOSE].value.units) == "mg/dL"  # type: ignore[union-attr]
    assert normalise_unit("bpm", CATALOGUE[MeasurementType.HEART_RATE].value.units) == "/min"  # type: ignore[union-attr]
    assert normalise_unit("furlongs", bp) is None
