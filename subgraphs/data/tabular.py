"""Exports as CSV: one row per measurement (panel components as rows of their own) and per medication."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

COLUMNS = [
    "record",
    "id",
    "type",
    "component",
    "loinc",
    "value",
    "unit",
    "takenAt",
    "source",
    "context",
    "medication",
    "dosage",
    "frequency",
    "durationDays",
]


def _safe(value: Any) -> Any:
    """No formula injection when the file is opened in a spreadsheet (OWASP CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(measurements: Sequence[dict[str, Any]], prescriptions: Sequence[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for m in measurements:
        base = {
            "record": "measurement",
            "id": m["measurementId"],
            "type": m["type"],
            "takenAt": m["takenAt"],
            "source": m.get("source"),
            "context": m.get("context"),
        }
        if m.get("value") is not None:
            writer.writerow({**base, "loinc": m.get("loinc"), "value": m["value"], "unit": m.get("unit")})
        for c in m.get("components") or []:
            writer.writerow(
                {**base, "component": c["code"], "loinc": c["loinc"], "value": c["value"], "unit": c["unit"]}
            )
    for p in prescriptions:
        for med in p.get("medications") or []:
            writer.writerow(
                {
                    k: _safe(v)
                    for k, v in {
                        "record": "prescription",
                        "id": p["prescriptionId"],
                        "takenAt": p.get("issuedAt"),
                        "medication": med.get("name"),
                        "dosage": med.get("dosage"),
                        "frequency": med.get("frequency"),
                        "durationDays": med.get("durationDays"),
                    }.items()
                }
            )
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read Korean text as UTF-8
