"""Turns a client's input into a normalised measurement, or says precisely which field is wrong."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from subgraphs.measurement.catalogue import (
    SOURCE_HINTS,
    AssayMethod,
    MeasurementSource,
    MeasurementSpec,
    Quantity,
    spec_for,
)
from subgraphs.measurement.domain import Component, Measurement, MeasurementInput
from subgraphs.measurement.errors import InvalidMeasurement
from subgraphs.measurement.units import normalise_unit, round_value

# Phones' clocks drift; a reading "from the future" beyond this is a wrong clock or a wrong time zone.
MAX_CLOCK_SKEW = timedelta(minutes=5)
# Older readings are imports from another app at most; anything before this is a date typo.
MAX_AGE = timedelta(days=366 * 20)
CLIENT_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")  # used with fullmatch


def to_millis(at: datetime) -> datetime:
    """MongoDB keeps milliseconds: trim before storing so what we return equals what we read back later."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def validate(user_id: str, raw: MeasurementInput, now: datetime, *, prefix: str = "") -> Measurement:
    spec = spec_for(raw.type)
    f = _Fields(prefix)
    if raw.source not in spec.sources:
        allowed = ", ".join(sorted(s.value for s in spec.sources))
        hint = SOURCE_HINTS.get((raw.type, raw.source))
        raise InvalidMeasurement(
            f"{raw.type.value} cannot come from {raw.source.value} (allowed: {allowed})"
            + (f"; {hint}" if hint else ""),
            field=f("source"),
        )
    if raw.source is MeasurementSource.CARTRIDGE and raw.cartridge is None:
        raise InvalidMeasurement(
            "a CARTRIDGE reading needs the cartridge's uid, lot and authMessage", field=f("cartridge")
        )
    if raw.source is MeasurementSource.CARTRIDGE and not raw.device_id:
        raise InvalidMeasurement("a CARTRIDGE reading needs the reader's deviceId", field=f("deviceId"))
    if raw.source is not MeasurementSource.CARTRIDGE and raw.cartridge is not None:
        raise InvalidMeasurement("cartridge is only for CARTRIDGE readings", field=f("cartridge"))
    if raw.client_id is not None and not CLIENT_ID.fullmatch(raw.client_id):
        raise InvalidMeasurement("clientId must be 1-128 letters, digits or . _ : -", field=f("clientId"))

    taken_at = _taken_at(raw.taken_at, now, f)
    if spec.is_panel:
        value, unit, entered_value, entered_unit = None, None, None, None
        components = _components(spec, raw, f)
    else:
        assert spec.value is not None
        if raw.components:
            raise InvalidMeasurement(
                f"{raw.type.value} has a single value, not components", field=f("components")
            )
        if raw.value is None:
            raise InvalidMeasurement(f"{raw.type.value} needs a value", field=f("value"))
        if raw.unit is None:
            raise InvalidMeasurement(
                f"{raw.type.value} needs a unit (UCUM, e.g. {spec.value.unit!r})", field=f("unit")
            )
        value, unit = _quantity(spec.value, raw.value, raw.unit, f("value"), f("unit"))
        entered_value, entered_unit = raw.value, raw.unit
        components = ()

    return coded(
        Measurement(
            user_id=user_id,
            type=raw.type,
            loinc=spec.loinc,
            source=raw.source,
            taken_at=taken_at,
            client_id=raw.client_id or f"srv-{uuid.uuid4().hex}",
            value=value,
            unit=unit,
            components=components,
            entered_value=entered_value,
            entered_unit=entered_unit,
            context=raw.context,
            device_id=raw.device_id,
            cartridge_uid=raw.cartridge.uid.upper() if raw.cartridge else None,
            cartridge_lot=raw.cartridge.lot if raw.cartridge else None,
            recorded_at=to_millis(now),
        ),
        None,
    )


def coded(m: Measurement, method: AssayMethod | None) -> Measurement:
    """`m` with the LOINC codes of how it was measured: its source, and for a cartridge its lot's method."""
    coding = spec_for(m.type).coding(m.source, method)
    components = tuple(replace(c, loinc=coding.components.get(c.code, c.loinc)) for c in m.components)
    return replace(m, loinc=coding.loinc, components=components)


class _Fields:
    """Field paths for `extensions.field`: `value`, or `inputs[3].value` inside a batch."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, name: str) -> str:
        return f"{self.prefix}{name}"


def _taken_at(taken_at: datetime | None, now: datetime, f: _Fields) -> datetime:
    if taken_at is None:
        return to_millis(now)
    if taken_at.tzinfo is None:
        raise InvalidMeasurement(
            "takenAt needs a time zone offset (e.g. 2026-01-01T09:30:00+09:00)", field=f("takenAt")
        )
    if taken_at > now + MAX_CLOCK_SKEW:
        raise InvalidMeasurement("takenAt is in the future", field=f("takenAt"))
    if taken_at < now - MAX_AGE:
        raise InvalidMeasurement("takenAt is too far in the past", field=f("takenAt"))
    return to_millis(taken_at.astimezone(now.tzinfo))


def _quantity(q: Quantity, value: float, unit: str, value_field: str, unit_field: str) -> tuple[float, str]:
    if not math.isfinite(value):
        raise InvalidMeasurement("value must be a finite number", field=value_field)
    accepted = q.units
    code = normalise_unit(unit, accepted)
    if code is None:
        raise InvalidMeasurement(
            f"unit {unit!r} is not accepted for {q.code} (use one of: {', '.join(accepted)})",
            field=unit_field,
        )
    canonical = round_value(accepted[code].to_canonical(value))
    if not q.low <= canonical <= q.high:
        raise InvalidMeasurement(
            f"{q.code} {value} {code} is outside the plausible range {q.low}-{q.high} {q.unit}",
            field=value_field,
            min=q.low,
            max=q.high,
            unit=q.unit,
        )
    return canonical, q.unit


def express_unit(q: Quantity, unit: str, field: str = "unit") -> str:
    """The UCUM code of `unit` among the units of `q` (any spelling the input accepts)."""
    code = normalise_unit(unit, q.units)
    if code is None:
        raise InvalidMeasurement(
            f"unit {unit!r} is not available for {q.code} (use one of: {', '.join(q.units)})", field=field
        )
    return code


def express(q: Quantity, value: float, unit: str, field: str = "unit") -> float:
    """A canonical value in another accepted unit."""
    return round_value(q.units[express_unit(q, unit, field)].from_canonical(value))


def _components(spec: MeasurementSpec, raw: MeasurementInput, f: _Fields) -> tuple[Component, ...]:
    if raw.value is not None:
        raise InvalidMeasurement(
            f"{raw.type.value} is a panel: send components, not a value", field=f("value")
        )
    seen: dict[str, Component] = {}
    for i, c in enumerate(raw.components):
        q = spec.component(c.code)
        if q is None:
            codes = ", ".join(x.code for x in spec.components)
            raise InvalidMeasurement(
                f"{raw.type.value} has no component {c.code!r} (use: {codes})",
                field=f(f"components[{i}].code"),
            )
        if c.code in seen:
            raise InvalidMeasurement(f"component {c.code} appears twice", field=f(f"components[{i}].code"))
        unit = c.unit or raw.unit
        if unit is None:
            raise InvalidMeasurement(f"component {c.code} needs a unit", field=f(f"components[{i}].unit"))
        value, canonical_unit = _quantity(
            q, c.value, unit, f(f"components[{i}].value"), f(f"components[{i}].unit")
        )
        seen[c.code] = Component(code=c.code, loinc=q.loinc, value=value, unit=canonical_unit)
    missing = sorted(spec.required_components - set(seen))
    if missing:
        raise InvalidMeasurement(
            f"{raw.type.value} needs components {', '.join(missing)}", field=f("components")
        )
    _check_panel_consistency(seen, f)
    # Catalogue order, whatever order the client used.
    return tuple(seen[q.code] for q in spec.components if q.code in seen)


def _check_panel_consistency(components: dict[str, Component], f: _Fields) -> None:
    sys, dia = components.get("SYSTOLIC"), components.get("DIASTOLIC")
    if sys and dia and sys.value <= dia.value:
        raise InvalidMeasurement("systolic pressure must be higher than diastolic", field=f("components"))
    total, hdl = components.get("TOTAL"), components.get("HDL")
    if total and hdl and hdl.value > total.value:
        raise InvalidMeasurement("HDL cholesterol cannot exceed total cholesterol", field=f("components"))
