"""Unit conversion to the canonical (stored) UCUM unit of each quantity.

Every conversion is affine, `canonical = value * factor + offset`: plain factors for concentrations,
an offset for °F -> °C and for the IFCC -> NGSP HbA1c master equation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Conversion:
    factor: float
    offset: float = 0.0

    def to_canonical(self, value: float) -> float:
        return value * self.factor + self.offset

    def from_canonical(self, value: float) -> float:
        return (value - self.offset) / self.factor


IDENTITY = Conversion(1.0)

# Spellings seen from apps and devices -> UCUM code (https://ucum.org). We store and answer UCUM only.
ALIASES: dict[str, str] = {
    "mmhg": "mm[Hg]",
    "mm hg": "mm[Hg]",
    "bpm": "/min",
    "beats/min": "/min",
    "{beats}/min": "/min",
    "1/min": "/min",
    "°c": "Cel",
    "c": "Cel",
    "degc": "Cel",
    "°f": "[degF]",
    "f": "[degF]",
    "degf": "[degF]",
    "lb": "[lb_av]",
    "lbs": "[lb_av]",
    "µmol/l": "umol/L",
    "μmol/l": "umol/L",
    "µg/dl": "ug/dL",
    "μg/dl": "ug/dL",
    "µg/l": "ug/L",
    "μg/l": "ug/L",
    "µiu/ml": "u[IU]/mL",
    "μiu/ml": "u[IU]/mL",
    "uiu/ml": "u[IU]/mL",
    "miu/l": "m[IU]/L",
}


def normalise_unit(unit: str, accepted: dict[str, Conversion]) -> str | None:
    """The UCUM code among `accepted` that `unit` names (case-insensitively or by a common alias), or None."""
    text = unit.strip()
    if text in accepted:
        return text
    lowered = text.lower()
    for code in accepted:
        if code.lower() == lowered:
            return code
    alias = ALIASES.get(lowered)
    return alias if alias in accepted else None


def round_value(value: float) -> float:
    """Canonical values keep 4 decimals: beyond any device's precision, without conversion float noise."""
    return round(value, 4)
