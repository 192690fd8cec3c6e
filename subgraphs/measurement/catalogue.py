"""The measurement types we accept: LOINC code, canonical UCUM unit, accepted units, plausible ranges.

Sources (see ../shared/design/DOMAIN-REFERENCES.md §2): vital-sign LOINC codes and UCUM units from the FHIR R4
vital-signs value set [P]; glucose 2339-0 / capillary-by-glucometer 41653-7 / CGM 99504-3, HbA1c 4548-4,
total cholesterol 2093-3, β-hydroxybutyrate 66441-7 as cited there; the remaining lab codes are the usual
serum/plasma LOINC codes [M: re-verify at loinc.org before certification]. Conversion factors come from the
molar masses named next to them.

LOINC names the method and the specimen, so one marker has several codes (`MeasurementSpec.methods`): LDL
by calculation 13457-7 / by direct assay 18262-6 (FHIR value set lipid-ldl-codes [P]) with the panels
24331-1 (Lipid 1996 panel: calculated LDL) / 57698-3 (lipid panel with direct LDL); CRP 1988-5 / by a
high-sensitivity method 30522-7; creatinine in serum or plasma 2160-0 / in blood 38483-4 (FHIR value sets
of serum creatinine tests [P]). A cartridge lot names its method; readings typed in from a lab report keep
the method-neutral code. Skin temperature (wearables) is 39106-0 "Temperature of Skin", never the core body
temperature 8310-5.

Plausible ranges are not clinical limits: they are wide bounds of what a living person can show, chosen to
reject typing errors and unit mix-ups (5.5 entered as mg/dL instead of mmol/L), never a true extreme reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from subgraphs.measurement.units import IDENTITY, Conversion


class MeasurementType(Enum):
    BLOOD_GLUCOSE = "BLOOD_GLUCOSE"
    HBA1C = "HBA1C"
    LIPID_PANEL = "LIPID_PANEL"
    URIC_ACID = "URIC_ACID"
    CREATININE = "CREATININE"
    VITAMIN_D = "VITAMIN_D"
    VITAMIN_B12 = "VITAMIN_B12"
    FERRITIN = "FERRITIN"
    TSH = "TSH"
    CORTISOL = "CORTISOL"
    TESTOSTERONE = "TESTOSTERONE"
    ESTRADIOL = "ESTRADIOL"
    CRP = "CRP"
    INSULIN = "INSULIN"
    KETONE = "KETONE"
    BLOOD_PRESSURE = "BLOOD_PRESSURE"
    HEART_RATE = "HEART_RATE"
    OXYGEN_SATURATION = "OXYGEN_SATURATION"
    BODY_TEMPERATURE = "BODY_TEMPERATURE"
    SKIN_TEMPERATURE = "SKIN_TEMPERATURE"
    BODY_WEIGHT = "BODY_WEIGHT"


class MeasurementSource(Enum):
    CARTRIDGE = "CARTRIDGE"
    WEARABLE = "WEARABLE"
    MANUAL = "MANUAL"


class ReadingContext(Enum):
    """When the reading was taken (GraphQL: MeasurementContext); decides which reference range applies."""

    FASTING = "FASTING"
    BEFORE_MEAL = "BEFORE_MEAL"
    AFTER_MEAL = "AFTER_MEAL"
    BEDTIME = "BEDTIME"
    RESTING = "RESTING"
    AFTER_EXERCISE = "AFTER_EXERCISE"
    RANDOM = "RANDOM"


class AssayMethod(Enum):
    """How a cartridge lot measures its marker: it decides the LOINC code the reading carries."""

    CALCULATED_LDL = "CALCULATED_LDL"  # lipid panel: TC, HDL and TG measured, LDL by Friedewald
    DIRECT_LDL = "DIRECT_LDL"
    HIGH_SENSITIVITY_CRP = "HIGH_SENSITIVITY_CRP"
    STANDARD_CRP = "STANDARD_CRP"
    WHOLE_BLOOD = "WHOLE_BLOOD"  # creatinine on a fingerstick cartridge
    SERUM_PLASMA = "SERUM_PLASMA"


@dataclass(frozen=True, slots=True)
class Coding:
    """The LOINC codes of one measurement: its own and its components' (by component code)."""

    loinc: str
    components: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Quantity:
    """One measured number: a single-valued type, or one component of a panel."""

    code: str
    loinc: str
    unit: str  # canonical UCUM unit: what we store and answer
    low: float  # plausible range, in the canonical unit, inclusive
    high: float
    other_units: Mapping[str, Conversion] = field(default_factory=dict)

    @property
    def units(self) -> dict[str, Conversion]:
        return {self.unit: IDENTITY, **self.other_units}


@dataclass(frozen=True, slots=True)
class MeasurementSpec:
    type: MeasurementType
    loinc: str
    category: str  # FHIR observation-category: laboratory | vital-signs
    sources: frozenset[MeasurementSource]
    value: Quantity | None = None  # single-valued types
    components: tuple[Quantity, ...] = ()  # panels
    required_components: frozenset[str] = frozenset()
    # A more precise LOINC code when the source names the method (LOINC forum: method is its own code).
    loinc_by_source: Mapping[MeasurementSource, str] = field(default_factory=dict)
    # Cartridge methods and their codes; the first is what a lot that names none measures.
    methods: Mapping[AssayMethod, Coding] = field(default_factory=dict)

    @property
    def is_panel(self) -> bool:
        return bool(self.components)

    @property
    def unit(self) -> str | None:
        return self.value.unit if self.value else None

    def component(self, code: str) -> Quantity | None:
        return next((c for c in self.components if c.code == code), None)

    def loinc_for(self, source: MeasurementSource) -> str:
        return self.loinc_by_source.get(source, self.loinc)

    @property
    def default_method(self) -> AssayMethod | None:
        return next(iter(self.methods), None)

    def coding(self, source: MeasurementSource, method: AssayMethod | None = None) -> Coding:
        """The codes of a reading from `source`; a cartridge's from its lot's `method` (None: the default)."""
        base = {q.code: q.loinc for q in self.components}
        if source is MeasurementSource.CARTRIDGE and self.methods:
            chosen = self.methods.get(method) if method else None
            chosen = chosen or next(iter(self.methods.values()))
            return Coding(chosen.loinc, {**base, **chosen.components})
        return Coding(self.loinc_for(source), base)


# The reader measures cartridge markers; it has no cuff, oximeter or scale, so vitals come from wearables or
# manual entry (DOMAIN-REFERENCES §1). Lab values may also be typed in from a lab report.
LAB = frozenset({MeasurementSource.CARTRIDGE, MeasurementSource.MANUAL})
VITAL = frozenset({MeasurementSource.WEARABLE, MeasurementSource.MANUAL})

_CHOLESTEROL_MMOL = Conversion(38.67)  # cholesterol 386.65 g/mol
_FAHRENHEIT = Conversion(5 / 9, -32 * 5 / 9)
_specs = [
    MeasurementSpec(
        MeasurementType.BLOOD_GLUCOSE,
        "2339-0",
        "laboratory",
        LAB | {MeasurementSource.WEARABLE},
        # Glucometers read 20-600 mg/dL; survivals above 2000 mg/dL are reported: the bound sits above that.
        value=Quantity(
            "BLOOD_GLUCOSE", "2339-0", "mg/dL", 10, 2500, {"mmol/L": Conversion(18.0156)}
        ),  # 180.156 g/mol (loinc.org LG7967-5)
        loinc_by_source={MeasurementSource.CARTRIDGE: "41653-7", MeasurementSource.WEARABLE: "99504-3"},
    ),
    MeasurementSpec(
        MeasurementType.HBA1C,
        "4548-4",
        "laboratory",
        LAB,
        # IFCC mmol/mol -> NGSP %: NGSP = 0.09148 * IFCC + 2.152 (master equation, Hoelzel, Clin Chem 2004)
        value=Quantity("HBA1C", "4548-4", "%", 2, 25, {"mmol/mol": Conversion(0.09148, 2.152)}),
    ),
    MeasurementSpec(
        MeasurementType.LIPID_PANEL,
        "24331-1",  # typed in from a lab report: the method of its LDL is unknown (LDL 2089-1)
        "laboratory",
        LAB,
        components=(
            Quantity("TOTAL", "2093-3", "mg/dL", 30, 1500, {"mmol/L": _CHOLESTEROL_MMOL}),
            Quantity("HDL", "2085-9", "mg/dL", 3, 250, {"mmol/L": _CHOLESTEROL_MMOL}),
            Quantity("LDL", "2089-1", "mg/dL", 3, 1200, {"mmol/L": _CHOLESTEROL_MMOL}),
            # Chylomicronaemia can exceed 10,000 mg/dL. Triolein 885.7 g/mol.
            Quantity("TRIGLYCERIDES", "2571-8", "mg/dL", 5, 20000, {"mmol/L": Conversion(88.57)}),
        ),
        # Point-of-care panels measure TC, HDL and TG; LDL is often calculated and may be missing.
        required_components=frozenset({"TOTAL", "HDL", "TRIGLYCERIDES"}),
        methods={
            AssayMethod.CALCULATED_LDL: Coding("24331-1", {"LDL": "13457-7"}),
            AssayMethod.DIRECT_LDL: Coding("57698-3", {"LDL": "18262-6"}),
        },
    ),
    MeasurementSpec(
        MeasurementType.URIC_ACID,
        "3084-1",
        "laboratory",
        LAB,
        value=Quantity(
            "URIC_ACID", "3084-1", "mg/dL", 0.1, 30, {"umol/L": Conversion(1 / 59.48)}
        ),  # 168.11 g/mol
    ),
    MeasurementSpec(
        MeasurementType.CREATININE,
        "2160-0",
        "laboratory",
        LAB,
        value=Quantity(
            "CREATININE", "2160-0", "mg/dL", 0.05, 40, {"umol/L": Conversion(1 / 88.42)}
        ),  # 113.12 g/mol
        methods={AssayMethod.WHOLE_BLOOD: Coding("38483-4"), AssayMethod.SERUM_PLASMA: Coding("2160-0")},
    ),
    MeasurementSpec(
        MeasurementType.VITAMIN_D,
        "62292-8",
        "laboratory",
        LAB,
        value=Quantity(
            "VITAMIN_D", "62292-8", "ng/mL", 1, 400, {"nmol/L": Conversion(1 / 2.496)}
        ),  # 25-OH D3 400.6 g/mol
    ),
    MeasurementSpec(
        MeasurementType.VITAMIN_B12,
        "2132-9",
        "laboratory",
        LAB,
        value=Quantity(
            "VITAMIN_B12", "2132-9", "pg/mL", 20, 20000, {"pmol/L": Conversion(1.355)}
        ),  # cobalamin 1355.4 g/mol
    ),
    MeasurementSpec(
        MeasurementType.FERRITIN,
        "2276-4",
        "laboratory",
        LAB,
        # Haemophagocytic syndromes exceed 100,000 ng/mL.
        value=Quantity("FERRITIN", "2276-4", "ng/mL", 0.5, 200000, {"ug/L": IDENTITY}),
    ),
    MeasurementSpec(
        MeasurementType.TSH,
        "3016-3",
        "laboratory",
        LAB,
        value=Quantity("TSH", "3016-3", "m[IU]/L", 0.001, 1000, {"u[IU]/mL": IDENTITY}),
    ),
    MeasurementSpec(
        MeasurementType.CORTISOL,
        "2143-6",
        "laboratory",
        LAB,
        value=Quantity(
            "CORTISOL", "2143-6", "ug/dL", 0.1, 250, {"nmol/L": Conversion(1 / 27.59)}
        ),  # 362.46 g/mol
    ),
    MeasurementSpec(
        MeasurementType.TESTOSTERONE,
        "2986-8",
        "laboratory",
        LAB,
        value=Quantity(
            "TESTOSTERONE", "2986-8", "ng/dL", 1, 5000, {"nmol/L": Conversion(28.84)}
        ),  # 288.4 g/mol
    ),
    MeasurementSpec(
        MeasurementType.ESTRADIOL,
        "2243-4",
        "laboratory",
        LAB,
        # Late pregnancy reaches ~40,000 pg/mL.
        value=Quantity(
            "ESTRADIOL", "2243-4", "pg/mL", 1, 100000, {"pmol/L": Conversion(1 / 3.671)}
        ),  # 272.4 g/mol
    ),
    MeasurementSpec(
        MeasurementType.CRP,
        "1988-5",
        "laboratory",
        LAB,
        value=Quantity("CRP", "1988-5", "mg/L", 0, 1000, {"mg/dL": Conversion(10)}),
        # The cartridge registry's 0-3 mg/L range is the high-sensitivity (cardiovascular risk) band.
        methods={
            AssayMethod.HIGH_SENSITIVITY_CRP: Coding("30522-7"),
            AssayMethod.STANDARD_CRP: Coding("1988-5"),
        },
    ),
    MeasurementSpec(
        MeasurementType.INSULIN,
        "20448-7",
        "laboratory",
        LAB,
        # 1 uIU/mL = 6.00 pmol/L (Knopp et al., J Diabetes Sci Technol 2019, replacing the older 6.945).
        value=Quantity("INSULIN", "20448-7", "u[IU]/mL", 0.1, 3000, {"pmol/L": Conversion(1 / 6.0)}),
    ),
    MeasurementSpec(
        MeasurementType.KETONE,
        "66441-7",
        "laboratory",
        LAB,
        # β-hydroxybutyrate by strip; severe DKA stays below ~25 mmol/L. 104.1 g/mol.
        value=Quantity("KETONE", "66441-7", "mmol/L", 0, 30, {"mg/dL": Conversion(1 / 10.41)}),
    ),
    MeasurementSpec(
        MeasurementType.BLOOD_PRESSURE,
        "85354-9",
        "vital-signs",
        VITAL,
        components=(
            Quantity("SYSTOLIC", "8480-6", "mm[Hg]", 40, 300, {"kPa": Conversion(7.50062)}),
            Quantity("DIASTOLIC", "8462-4", "mm[Hg]", 20, 200, {"kPa": Conversion(7.50062)}),
        ),
        required_components=frozenset({"SYSTOLIC", "DIASTOLIC"}),
    ),
    MeasurementSpec(
        MeasurementType.HEART_RATE,
        "8867-4",
        "vital-signs",
        VITAL,
        value=Quantity("HEART_RATE", "8867-4", "/min", 20, 300),
    ),
    MeasurementSpec(
        MeasurementType.OXYGEN_SATURATION,
        "59408-5",
        "vital-signs",
        VITAL,
        # Pulse oximeters are specified for 70-100 %; below 50 % no reading is trustworthy.
        value=Quantity("OXYGEN_SATURATION", "59408-5", "%", 50, 100),
    ),
    MeasurementSpec(
        MeasurementType.BODY_TEMPERATURE,
        "8310-5",
        "vital-signs",
        # Core temperature from a thermometer, typed in. A wearable measures the skin: SKIN_TEMPERATURE.
        frozenset({MeasurementSource.MANUAL}),
        value=Quantity("BODY_TEMPERATURE", "8310-5", "Cel", 25, 45, {"[degF]": _FAHRENHEIT}),
    ),
    MeasurementSpec(
        MeasurementType.SKIN_TEMPERATURE,
        "39106-0",
        "vital-signs",
        VITAL,
        # Wrist skin runs 2-5 °C below the core and follows the room; our own bounds, wide enough for a cold
        # day outdoors, reject a Fahrenheit value sent as Cel (93 "Cel").
        value=Quantity("SKIN_TEMPERATURE", "39106-0", "Cel", 10, 45, {"[degF]": _FAHRENHEIT}),
    ),
    MeasurementSpec(
        MeasurementType.BODY_WEIGHT,
        "29463-7",
        "vital-signs",
        VITAL,
        value=Quantity(
            "BODY_WEIGHT",
            "29463-7",
            "kg",
            0.3,
            650,
            {"g": Conversion(0.001), "[lb_av]": Conversion(0.45359237)},
        ),
    ),
]

CATALOGUE: dict[MeasurementType, MeasurementSpec] = {s.type: s for s in _specs}
assert set(CATALOGUE) == set(MeasurementType), "every MeasurementType needs a catalogue entry"


def spec_for(type_: MeasurementType) -> MeasurementSpec:
    return CATALOGUE[type_]


# What to say when a source sends a type it cannot measure, beyond the list of allowed sources.
SOURCE_HINTS: dict[tuple[MeasurementType, MeasurementSource], str] = {
    (MeasurementType.BODY_TEMPERATURE, MeasurementSource.WEARABLE): (
        "a wearable measures skin temperature, not core body temperature: send SKIN_TEMPERATURE"
    ),
}
