"""Cartridge markers against the cartridge registry's reference ranges, and the lipid panel (NCEP ATP III)."""

from __future__ import annotations

from subgraphs.coaching.domain import Person, Reading, Severity
from subgraphs.coaching.rules import sources as S
from subgraphs.coaching.rules.base import Finding, finding, fmt

# type -> (low, high, unit) as coded in the ManPaSik cartridge registry (DOMAIN-REFERENCES §1).
# Testosterone and estradiol ranges there are not sex-specific; messages say "the cartridge's range".
REFERENCE_RANGES: dict[str, tuple[float, float, str]] = {
    "URIC_ACID": (3.5, 7.2, "mg/dL"),
    "CREATININE": (0.7, 1.3, "mg/dL"),
    "VITAMIN_D": (30, 100, "ng/mL"),
    "VITAMIN_B12": (200, 900, "pg/mL"),
    "FERRITIN": (12, 300, "ng/mL"),
    "TSH": (0.4, 4.0, "m[IU]/L"),
    "CORTISOL": (6, 23, "ug/dL"),
    "TESTOSTERONE": (300, 1000, "ng/dL"),
    "ESTRADIOL": (15, 350, "pg/mL"),
    "CRP": (0, 3, "mg/L"),
    "INSULIN": (2.6, 24.9, "u[IU]/mL"),
}


def reference_range(r: Reading, _: Person) -> list[Finding]:
    ref = REFERENCE_RANGES.get(r.type)
    if ref is None or r.value is None:
        return []
    low, high, unit = ref
    if r.unit not in (None, unit):  # a unit we cannot compare with the range (CRP arrives converted)
        return []
    p = {"value": f"{r.value:g}", "lower": f"{low:g}", "upper": f"{high:g}", "unit": unit}
    if r.value > high:
        return [finding("marker.above_range", Severity.CAUTION, S.CARTRIDGE_RANGES, r, True,
                        **p)]
    if r.value < low:
        return [finding("marker.below_range", Severity.CAUTION, S.CARTRIDGE_RANGES, r, **p)]
    return []


def lipid_panel(r: Reading, _: Person) -> list[Finding]:
    out: list[Finding] = []
    ldl, total, hdl, tg = (r.number(c) for c in ("LDL", "TOTAL", "HDL", "TRIGLYCERIDES"))
    if ldl is not None and ldl >= 190:
        out.append(finding("lipid.ldl.very_high", Severity.WARNING, S.NCEP_ATP3, r, True,
                           value=fmt(ldl)))
    elif ldl is not None and ldl >= 160:
        out.append(finding("lipid.ldl.high", Severity.CAUTION, S.NCEP_ATP3, r, True, value=fmt(ldl)))
    if total is not None and total >= 240:
        out.append(finding("lipid.total.high", Severity.CAUTION, S.NCEP_ATP3, r, True, value=fmt(total)))
    if hdl is not None and hdl < 40:
        out.append(finding("lipid.hdl.low", Severity.CAUTION, S.NCEP_ATP3, r, value=fmt(hdl)))
    if tg is not None and tg >= 500:
        out.append(finding("lipid.tg.very_high", Severity.WARNING, S.NCEP_ATP3, r, True, value=fmt(tg)))
    elif tg is not None and tg >= 200:
        out.append(finding("lipid.tg.high", Severity.CAUTION, S.NCEP_ATP3, r, True, value=fmt(tg)))
    return out
