"""The catalogue covers the contract's types with LOINC codes, UCUM units and sound conversions."""

from __future__ import annotations

import re

import pytest

from subgraphs.measurement.catalogue import CATALOGUE, AssayMethod, MeasurementSource, MeasurementType
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
# Beyond the contract's list: skin temperature from wearables (issue 19), never the core 8310-5.
ADDED_TYPES = {"SKIN_TEMPERATURE"}
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
    assert {t.value for t in MeasurementType} == CONTRACT_TYPES | ADDED_TYPES == {t.value for t in CATALOGUE}


def test_loinc_codes_are_well_formed_with_valid_check_digits() -> None:
    codes = set()
    for spec in CATALOGUE.values():
        codes |= {spec.loinc, *spec.loinc_by_source.values()}
        for coding in spec.methods.values():
            codes |= {coding.loinc, *coding.components.values()}
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


@pytest.mark.parametrize(
    ("type_", "source", "method", "loinc", "components"),
    [
        # LOINC names the method: the FHIR value set lipid-ldl-codes holds 13457-7 (calculation) and 18262-6
        # (direct assay); 24331-1 is the panel with calculated LDL, 57698-3 the one with direct LDL.
        (MeasurementType.LIPID_PANEL, MeasurementSource.CARTRIDGE, None, "24331-1", {"LDL": "13457-7"}),
        (
            MeasurementType.LIPID_PANEL,
            MeasurementSource.CARTRIDGE,
            AssayMethod.CALCULATED_LDL,
            "24331-1",
            {"LDL": "13457-7"},
        ),
        (
            MeasurementType.LIPID_PANEL,
            MeasurementSource.CARTRIDGE,
            AssayMethod.DIRECT_LDL,
            "57698-3",
            {"LDL": "18262-6"},
        ),
        (MeasurementType.LIPID_PANEL, MeasurementSource.MANUAL, None, "24331-1", {"LDL": "2089-1"}),
        (MeasurementType.CRP, MeasurementSource.CARTRIDGE, None, "30522-7", {}),
        (MeasurementType.CRP, MeasurementSource.CARTRIDGE, AssayMethod.STANDARD_CRP, "1988-5", {}),
        (MeasurementType.CRP, MeasurementSource.MANUAL, None, "1988-5", {}),
        (MeasurementType.CREATININE, MeasurementSource.CARTRIDGE, None, "38483-4", {}),
        (MeasurementType.CREATININE, MeasurementSource.CARTRIDGE, AssayMethod.SERUM_PLASMA, "2160-0", {}),
        (MeasurementType.CREATININE, MeasurementSource.MANUAL, None, "2160-0", {}),
        (MeasurementType.BLOOD_GLUCOSE, MeasurementSource.CARTRIDGE, None, "41653-7", {}),
        (MeasurementType.BLOOD_GLUCOSE, MeasurementSource.WEARABLE, None, "99504-3", {}),
        (MeasurementType.SKIN_TEMPERATURE, MeasurementSource.WEARABLE, None, "39106-0", {}),
        (MeasurementType.BODY_TEMPERATURE, MeasurementSource.MANUAL, None, "8310-5", {}),
    ],
)
def test_codes_follow_source_and_method(
    type_: MeasurementType,
    source: MeasurementSource,
    method: AssayMethod | None,
    loinc: str,
    components: dict[str, str],
) -> None:
    coding = CATALOGUE[type_].coding(source, method)
    assert coding.loinc == loinc
    assert {k: v for k, v in coding.components.items() if k in components} == components


def test_a_method_of_another_type_falls_back_to_the_default() -> None:
    assert CATALOGUE[MeasurementType.CRP].coding(
        MeasurementSource.CARTRIDGE, AssayMethod.DIRECT_LDL
    ).loinc == ("30522-7")


def test_only_thermometers_give_body_temperature_and_wearables_skin_temperature() -> None:
    assert CATALOGUE[MeasurementType.BODY_TEMPERATURE].sources == {MeasurementSource.MANUAL}
    skin = CATALOGUE[MeasurementType.SKIN_TEMPERATURE]
    assert MeasurementSource.WEARABLE in skin.sources and skin.value is not None
    # Normal wrist skin (33-34 °C) is plausible; a Fahrenheit number sent as Cel is not.
    assert skin.value.low <= 33.5 <= skin.value.high < 93
