"""What coaching knows about a measurement and its owner, parsed from a `measurement.recorded` event.

The measurement subgraph stores canonical UCUM units; the few conversions here only guard against an event
that carries another unit, so a rule never compares mmol/L with a mg/dL threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from libs.i18n import chain
from libs.time import as_utc, utcnow, zone


class Severity(Enum):
    INFO = "INFO"
    CAUTION = "CAUTION"
    WARNING = "WARNING"
    URGENT = "URGENT"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class InvalidMeasurement(ValueError):
    """The event's data cannot describe a measurement (no id, user, type or value)."""


# unit -> (factor, offset) into the canonical unit: canonical = value * factor + offset
_CONVERSIONS: dict[tuple[str, str], tuple[float, float]] = {
    ("BLOOD_GLUCOSE", "mmol/L"): (18.0156, 0.0),  # glucose 180.156 g/mol
    ("HBA1C", "mmol/mol"): (0.09148, 2.152),  # IFCC -> NGSP master equation (Hoelzel et al., Clin Chem 2004)
    ("BODY_TEMPERATURE", "[degF]"): (5 / 9, -32 * 5 / 9),
    ("SKIN_TEMPERATURE", "[degF]"): (5 / 9, -32 * 5 / 9),
    ("BODY_WEIGHT", "g"): (0.001, 0.0),
    ("BODY_WEIGHT", "[lb_av]"): (0.45359237, 0.0),
    ("KETONE", "mg/dL"): (1 / 10.41, 0.0),
    ("CRP", "mg/dL"): (10.0, 0.0),
    ("SYSTOLIC", "kPa"): (7.50062, 0.0),
    ("DIASTOLIC", "kPa"): (7.50062, 0.0),
    ("TOTAL", "mmol/L"): (38.67, 0.0),
    ("HDL", "mmol/L"): (38.67, 0.0),
    ("LDL", "mmol/L"): (38.67, 0.0),
    ("TRIGLYCERIDES", "mmol/L"): (88.57, 0.0),
}
CANONICAL_UNITS: dict[str, str] = {
    "BLOOD_GLUCOSE": "mg/dL", "HBA1C": "%", "BODY_TEMPERATURE": "Cel", "SKIN_TEMPERATURE": "Cel",
    "BODY_WEIGHT": "kg",
    "KETONE": "mmol/L", "CRP": "mg/L", "SYSTOLIC": "mm[Hg]", "DIASTOLIC": "mm[Hg]", "TOTAL": "mg/dL",
    "HDL": "mg/dL", "LDL": "mg/dL", "TRIGLYCERIDES": "mg/dL", "HEART_RATE": "/min", "OXYGEN_SATURATION": "%",
}


def to_canonical(code: str, value: float, unit: str | None) -> float | None:
    """The value in the unit our thresholds use, or None when the unit is unknown to us."""
    canonical = CANONICAL_UNITS.get(code)
    if unit is None or canonical is None or unit == canonical:
        return value
    conv = _CONVERSIONS.get((code, unit))
    if conv is None:
        return None
    return value * conv[0] + conv[1]


@dataclass(frozen=True, slots=True)
class Reading:
    id: str
    user_id: str
    type: str
    value: float | None  # canonical unit; None for panels
    unit: str | None
    components: Mapping[str, float] = field(default_factory=dict)  # canonical units
    taken_at: datetime = field(default_factory=utcnow)
    context: str | None = None
    loinc: str | None = None  # how it was measured (hs-CRP 30522-7 or CRP 1988-5 ...), from the event
    source: str | None = None  # CARTRIDGE | WEARABLE | MANUAL

    def number(self, code: str | None = None) -> float | None:
        return self.value if code is None else self.components.get(code)


class Sex(Enum):
    """Sex at birth: what reference ranges differ by."""

    FEMALE = "FEMALE"
    MALE = "MALE"


@dataclass(frozen=True, slots=True)
class Person:
    """The owner's settings that pick rule sets, ranges and languages (from the profile, the event, defaults).
    Sex, birth date and pregnancy come only from a profile whose owner consented to their use."""

    locale: str
    region: str
    time_zone: ZoneInfo
    height_cm: float | None = None
    sex: Sex | None = None
    birth_date: date | None = None
    pregnant: bool = False

    @property
    def language(self) -> str:
        """The locale we write to them in (ko, en, ja, zh-Hans): theirs, else the first fallback."""
        return chain(self.locale)[0]

    def age_at(self, at: datetime) -> int | None:
        """Completed years at `at` (in the owner's time zone), or None without a birth date."""
        if self.birth_date is None:
            return None
        day = at.astimezone(self.time_zone).date()
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        return float(raw)
    except ValueError:
        return None


def _datetime(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return as_utc(value)


def parse_reading(data: Mapping[str, Any], fallback_time: datetime | None = None) -> Reading:
    mid, uid, mtype = data.get("measurementId") or data.get("id"), data.get("userId"), data.get("type")
    if not (isinstance(mid, str) and isinstance(uid, str) and isinstance(mtype, str)) or not (mid and uid):
        raise InvalidMeasurement("measurementId, userId and type are required")
    mtype = mtype.upper()
    raw_source = data.get("source")
    source = raw_source.upper() if isinstance(raw_source, str) else None
    if mtype == "BODY_TEMPERATURE" and source == "WEARABLE":
        # Events from before SKIN_TEMPERATURE existed: a wearable measures the skin, never the core.
        mtype = "SKIN_TEMPERATURE"
    unit = data.get("unit") if isinstance(data.get("unit"), str) else None
    value = _number(data.get("value"))
    if value is not None:
        value = to_canonical(mtype, value, unit)
    components: dict[str, float] = {}
    for c in data.get("components") or []:
        if not isinstance(c, Mapping) or not isinstance(c.get("code"), str):
            continue
        number = _number(c.get("value"))
        cunit = c.get("unit") if isinstance(c.get("unit"), str) else None
        converted = to_canonical(c["code"].upper(), number, cunit) if number is not None else None
        if converted is not None:
            components[c["code"].upper()] = converted
    if value is None and not components:
        raise InvalidMeasurement("a value or components are required")
    context = data.get("context")
    taken_at = _datetime(data.get("takenAt")) or fallback_time or utcnow()
    loinc = data.get("loinc")
    return Reading(id=mid, user_id=uid, type=mtype, value=value, unit=CANONICAL_UNITS.get(mtype, unit),
                   components=components, taken_at=taken_at.astimezone(UTC),
                   context=context.upper() if isinstance(context, str) else None,
                   loinc=loinc if isinstance(loinc, str) and loinc else None, source=source)


def parse_person(data: Mapping[str, Any], *, default_locale: str, default_time_zone: str,
                 profile: Mapping[str, Any] | None = None) -> Person:
    """The owner's profile first, then what the event carries, then the defaults (ko-KR, Asia/Seoul)."""
    data = {**data, **{k: v for k, v in (profile or {}).items() if v is not None}}
    raw_locale = data.get("locale")
    locale = raw_locale if isinstance(raw_locale, str) and raw_locale else default_locale
    region = data.get("region")
    if not isinstance(region, str) or not region:
        region = locale.replace("_", "-").split("-")[-1] if "-" in locale or "_" in locale else "KR"
    height = _number(data.get("heightCm"))
    # Health details come from the consented profile only, never from an event.
    details = profile or {}
    sex = details.get("sexAtBirth")
    birth = details.get("birthDate")
    return Person(locale=str(locale), region=region.upper(), time_zone=zone(data.get("timeZone"),
                  default_time_zone), height_cm=height if height and 50 <= height <= 272 else None,
                  sex=Sex(sex) if sex in Sex.__members__ else None,
                  birth_date=birth if isinstance(birth, date) else None,
                  pregnant=details.get("pregnant") is True)
