"""Cartridge markers against reference ranges for their owner (ranges.py), lipids panel (NCEP ATP III)."""

from __future__ import annotations

from dataclasses import replace

from subgraphs.coaching.domain import Person, Reading, Severity
from subgraphs.coaching.rules import sources as S
from subgraphs.coaching.rules.base import Finding, Source, finding, fmt
from subgraphs.coaching.rules.ranges import MARKERS, PROJECT, pick


def reference_range(r: Reading, person: Person) -> list[Finding]:
    """The marker against the range for its owner (ranges.py); where none fits, an INFO insight says why."""
    marker = MARKERS.get(r.type)
    if marker is None or r.value is None or r.unit not in (None, marker.unit):
        return []  # a unit we cannot compare with the range
    chosen = pick(marker, r, person)
    p = {"value": f"{r.value:g}", "unit": marker.unit}
    if chosen.unjudged is not None:
        return [_note(f"marker.no_range.{chosen.unjudged}", r, p)]
    if chosen.band is None:  # sex unknown: judged only outside the range of every sex
        lows = [b.low for b in chosen.any_of if b.low is not None]
        highs = [b.high for b in chosen.any_of if b.high is not None]
        outside = _outside(r, r.value, min(lows) if lows else None, max(highs) if highs else None,
                           "any_sex", chosen.any_of[0].source, p)
        return [replace(f, notes=("sex", *chosen.assumed)) for f in outside] or [
            _note("marker.profile_needed", r, p)]
    band = chosen.band
    found = _outside(r, r.value, band.low, band.high, band.group, band.source, p)
    return [replace(f, notes=chosen.assumed) for f in found]


def _outside(r: Reading, value: float, low: float | None, high: float | None, group: str, source: Source,
             p: dict[str, str]) -> list[Finding]:
    bounds = {"lower": "" if low is None else f"{low:g}", "upper": "" if high is None else f"{high:g}",
              "group": group}
    if high is not None and value > high:
        return [finding("marker.above_range", Severity.CAUTION, source, r, True, **p, **bounds)]
    if low is not None and value < low:
        return [finding("marker.below_range", Severity.CAUTION, source, r, **p, **bounds)]
    return []


def _note(rule_id: str, r: Reading, p: dict[str, str]) -> Finding:
    return finding(rule_id, Severity.INFO, PROJECT, r, **p)


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
