"""The measurement rules: validation, idempotency, devices, cartridge authenticity and single use, events.

Knows neither Strawberry nor MongoDB: it gets domain objects, the repository of a unit of work and its deps
(an event sink, the SUN keys, a clock).
"""

from __future__ import annotations

import logging
import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from libs.graphql.cursor import decode_cursor
from libs.time import utcnow
from subgraphs.measurement import sun
from subgraphs.measurement.catalogue import AssayMethod, MeasurementSource, MeasurementType, spec_for
from subgraphs.measurement.domain import (
    CartridgeLot,
    CartridgeReading,
    CartridgeUse,
    Cursor,
    Device,
    Measurement,
    MeasurementInput,
    Page,
    Summary,
)
from subgraphs.measurement.errors import (
    CartridgeRejected,
    DeviceNotYours,
    DeviceOwnedElsewhere,
    InvalidMeasurement,
    UnknownCartridgeLot,
)
from subgraphs.measurement.repository import AlreadyExists, MeasurementRepository, new_id
from subgraphs.measurement.validation import CLIENT_ID, coded, express, express_unit, to_millis, validate

log = logging.getLogger("manpasik.measurement")

MAX_PAGE = 100
MAX_BATCH = 500  # an offline week of CGM readings every 5 min is ~2000: the app sends it in chunks
SERIAL = re.compile(r"[A-Za-z0-9\-]{4,64}")
LOT = re.compile(r"[A-Za-z0-9\-]{2,64}")
MAX_CALIBRATION = 16
# How long after a lot's expiry a reading taken before it may still be uploaded (a reader offline for weeks).
EXPIRED_LOT_UPLOAD_GRACE = timedelta(days=30)


class EventSink(Protocol):
    async def measurement_recorded(self, measurement: Measurement, event_id: str) -> bool:
        """Publishes `measurement.recorded`; False (never an exception) when the bus is unreachable."""
        ...

    async def measurements_recorded(self, recorded: Sequence[tuple[Measurement, str]]) -> bool:
        """The same for many (measurement, event id) pairs in one round trip; True only if all went out."""
        ...


@dataclass(frozen=True, slots=True)
class _Prepared:
    measurement: Measurement
    reading: sun.SunReading | None = None
    prefix: str = ""  # `inputs[3].` inside a batch, for error fields


@dataclass(frozen=True, slots=True)
class MeasurementDeps:
    """What the service needs besides its repository: the event bus, the lots' SUN keys and the clock."""

    events: EventSink
    sun_keys: Mapping[str, bytes]
    clock: Callable[[], datetime] = utcnow


class MeasurementService:
    """Built per request or event on the repository of its unit of work: `MeasurementService(repo, deps)`."""

    def __init__(self, repo: MeasurementRepository, deps: MeasurementDeps) -> None:
        self.measurements = repo.measurements
        self.devices = repo.devices
        self.cartridges = repo.cartridges
        self.events = deps.events
        self.sun_keys = deps.sun_keys
        self.clock = deps.clock

    # ---- recording ----
    async def record(self, user_id: str, raw: MeasurementInput) -> Measurement:
        m = validate(user_id, raw, self.clock())
        # A retry gets the stored measurement, whatever was sent this time. Without a cartridge the unique
        # (user_id, client_id) index answers that at insert time, saving a query on the common path; a
        # cartridge retry must be recognised before its (already claimed) cartridge is checked again.
        if raw.client_id is not None and raw.cartridge is not None:
            existing = await self.measurements.by_client_id(user_id, raw.client_id)
            if existing is not None:
                return existing
        prepared = await self._prepare(m, raw.cartridge, prefix="")
        return await self._store(prepared)

    async def record_many(self, user_id: str, raws: Sequence[MeasurementInput]) -> list[Measurement]:
        """All inputs are checked before anything is written. Storage is per measurement and idempotent by
        clientId, so a batch cut short (crash, lost connection) completes when the app sends it again."""
        if len(raws) > MAX_BATCH:
            raise InvalidMeasurement(f"at most {MAX_BATCH} measurements per batch", field="inputs")
        now = self.clock()
        validated = [validate(user_id, r, now, prefix=f"inputs[{i}].") for i, r in enumerate(raws)]
        out: list[Measurement | None] = [None] * len(raws)
        first_of: dict[str, int] = {}
        stored = await self.measurements.by_client_ids(user_id, [r.client_id for r in raws if r.client_id])
        devices: dict[str, Device | None] = {}
        todo: list[tuple[int, _Prepared]] = []
        for i, (raw, m) in enumerate(zip(raws, validated, strict=True)):
            if raw.client_id is not None and raw.client_id in first_of:
                continue  # the same measurement twice in one batch: answered by the first
            if raw.client_id is not None:
                first_of[raw.client_id] = i
                if raw.client_id in stored:
                    out[i] = stored[raw.client_id]
                    continue
            todo.append((i, await self._prepare(m, raw.cartridge, prefix=f"inputs[{i}].", devices=devices)))
        self._refuse_cartridge_twice_in_batch(todo)
        for i, prepared in todo:
            if prepared.reading is not None:  # cartridges are claimed one by one
                out[i] = await self._store(prepared)
        plain = [(i, p) for i, p in todo if p.reading is None]
        for (i, _), m in zip(plain, await self._store_plain([p for _, p in plain]), strict=True):
            out[i] = m
        for i, raw in enumerate(raws):
            if out[i] is None and raw.client_id is not None:
                out[i] = out[first_of[raw.client_id]]
        return [m for m in out if m is not None]

    async def _prepare(
        self,
        m: Measurement,
        cartridge: CartridgeReading | None,
        prefix: str,
        devices: dict[str, Device | None] | None = None,
    ) -> _Prepared:
        """Every check that does not write: device ownership, cartridge lot, expiry and SUN authenticity.
        `devices` caches readers across a batch (one lookup per reader, not per reading)."""
        if m.device_id is not None:
            cache = devices if devices is not None else {}
            if m.device_id not in cache:
                cache[m.device_id] = await self.devices.get(m.device_id)
            device = cache[m.device_id]
            if device is None or device.user_id != m.user_id:
                raise DeviceNotYours(field=f"{prefix}deviceId")
        if cartridge is None:
            return _Prepared(m, prefix=prefix)
        lot = await self.cartridges.lot(cartridge.lot)
        if lot is None:
            raise UnknownCartridgeLot(cartridge.lot)
        if lot.type is not m.type:
            raise CartridgeRejected(
                f"cartridge lot {lot.lot} measures {lot.type.value}, not {m.type.value}",
                reason="WRONG_TYPE",
                field=f"{prefix}type",
            )
        # Against the reading's time, so an offline reading uploaded after the lot expired still counts; but
        # not long after, or a backdated takenAt would revive expired stock.
        if m.taken_at >= lot.expires_at or self.clock() >= lot.expires_at + EXPIRED_LOT_UPLOAD_GRACE:
            raise CartridgeRejected(
                f"cartridge lot {lot.lot} expired on {lot.expires_at.date().isoformat()}",
                reason="LOT_EXPIRED",
                field=f"{prefix}cartridge.lot",
            )
        key = self.sun_keys.get(lot.lot)
        if key is None:
            log.error("no SUN key configured for cartridge lot %s", lot.lot)
            raise CartridgeRejected(
                f"cartridge lot {lot.lot} cannot be verified",
                reason="UNVERIFIABLE",
                field=f"{prefix}cartridge.lot",
            )
        try:
            reading = sun.verify(key, cartridge.auth_message)
        except sun.SunError:
            raise CartridgeRejected(
                "the cartridge's authentication message is not genuine",
                reason="FORGED",
                field=f"{prefix}cartridge.authMessage",
            )
        if reading.uid != cartridge.uid.upper():
            raise CartridgeRejected(
                "the authentication message belongs to another cartridge",
                reason="UID_MISMATCH",
                field=f"{prefix}cartridge.uid",
            )
        # The lot's method decides the codes (calculated or direct LDL, hs-CRP, creatinine in whole blood).
        return _Prepared(coded(replace(m, cartridge_uid=reading.uid), lot.method), reading, prefix)

    @staticmethod
    def _refuse_cartridge_twice_in_batch(todo: Sequence[tuple[int, _Prepared]]) -> None:
        seen: set[str] = set()
        for i, p in todo:
            uid = p.measurement.cartridge_uid
            if uid is not None and uid in seen:
                raise CartridgeRejected(
                    "this cartridge was already used",
                    reason="ALREADY_USED",
                    field=f"inputs[{i}].cartridge.uid",
                )
            if uid is not None:
                seen.add(uid)

    async def _store(self, p: _Prepared) -> Measurement:
        m, id_, event_id = p.measurement, new_id(), str(uuid.uuid4())
        if p.reading is not None:
            id_ = await self._claim_cartridge(m, p.reading, id_, p.prefix)
        try:
            stored = await self.measurements.insert(m, id_, pending_event_id=event_id)
        except AlreadyExists as e:  # the same clientId raced us: theirs is the measurement
            existing = e.existing if isinstance(e.existing, Measurement) else None
            if p.reading is not None and (existing is None or existing.id != id_):
                await self.cartridges.release(p.reading.uid, id_)
            if existing is not None:
                return existing
            raise
        # No release on other failures: the insert may have happened. A retry with the same clientId takes the
        # claim over (below), so a transient error never burns the user's cartridge.
        # Then the latest-per-type document, before the event goes out: whoever reacts to it reads a Home that
        # shows the reading. Should the process stop in between, the outbox relay does it (worker.py).
        await self.measurements.keep_latest([stored])
        if await self.events.measurement_recorded(stored, event_id):
            await self.measurements.clear_pending_event(stored.id, event_id)
        return stored

    async def _store_plain(self, prepared: Sequence[_Prepared]) -> list[Measurement]:
        """Measurements without a cartridge: one insert, one pipelined publish, one marker update."""
        if not prepared:
            return []
        items = [(p.measurement, new_id(), str(uuid.uuid4())) for p in prepared]
        results = await self.measurements.insert_many(items)
        fresh = [
            (m, event_id) for (m, inserted), (_, _, event_id) in zip(results, items, strict=True) if inserted
        ]
        await self.measurements.keep_latest([m for m, _ in fresh])
        if fresh and await self.events.measurements_recorded(fresh):
            await self.measurements.clear_pending_events([(m.id, event_id) for m, event_id in fresh])
        return [m for m, _ in results]

    async def _claim_cartridge(
        self, m: Measurement, reading: sun.SunReading, measurement_id: str, prefix: str
    ) -> str:
        """Marks the cartridge used by this measurement; returns the measurement id the claim names."""
        use = CartridgeUse(
            uid=reading.uid,
            lot=m.cartridge_lot or "",
            counter=reading.counter,
            user_id=m.user_id,
            client_id=m.client_id,
            measurement_id=measurement_id,
            used_at=to_millis(self.clock()),
        )
        try:
            await self.cartridges.claim(use)
            return measurement_id
        except AlreadyExists as e:
            prev = e.existing
            if isinstance(prev, CartridgeUse) and (prev.user_id, prev.client_id) == (m.user_id, m.client_id):
                return prev.measurement_id  # our own earlier attempt, interrupted before its insert
            # The tag's read counter only grows: a counter we have seen before is a captured message replayed.
            if isinstance(prev, CartridgeUse) and reading.counter <= prev.counter:
                raise CartridgeRejected(
                    "this authentication message was already used (replayed read counter)",
                    reason="REPLAYED",
                    field=f"{prefix}cartridge.authMessage",
                )
            raise CartridgeRejected(
                "this cartridge was already used: cartridges are single-use",
                reason="ALREADY_USED",
                field=f"{prefix}cartridge.uid",
            )

    # ---- reading ----
    async def get_many(self, ids: Sequence[str]) -> dict[str, Measurement]:
        return await self.measurements.by_ids(ids)

    async def counts(self, user_ids: Sequence[str]) -> dict[str, int]:
        found = await self.measurements.count_by_user(user_ids)
        return {u: found.get(u, 0) for u in user_ids}

    async def latest(self, user_id: str) -> list[Measurement]:
        return await self.measurements.latest_per_type(user_id)

    async def history(
        self,
        user_id: str,
        type_: MeasurementType,
        since: datetime | None,
        until: datetime | None,
        first: int,
        after: str | None,
    ) -> Page:
        if not 1 <= first <= MAX_PAGE:
            raise InvalidMeasurement(f"first must be between 1 and {MAX_PAGE}", field="first")
        _check_range(since, until)
        return await self.measurements.page(user_id, type_, since, until, first, _cursor(after))

    async def summary(
        self,
        user_id: str,
        type_: MeasurementType,
        since: datetime | None,
        until: datetime | None,
        component: str | None,
        unit: str | None = None,
    ) -> Summary:
        _check_range(since, until)
        spec = spec_for(type_)
        if spec.is_panel and component is None:
            codes = ", ".join(c.code for c in spec.components)
            raise InvalidMeasurement(
                f"{type_.value} is a panel: name a component ({codes})", field="component"
            )
        quantity = spec.component(component) if component is not None else spec.value
        if quantity is None:
            raise InvalidMeasurement(f"{type_.value} has no component {component!r}", field="component")
        target = express_unit(quantity, unit) if unit is not None else None  # refused before the query
        s = await self.measurements.summary(user_id, type_, since, until, component)
        if target is None:
            return replace(s, unit=quantity.unit)

        # Conversions are affine, so converting the average equals averaging the converted values.
        def conv(v: float | None) -> float | None:
            return None if v is None else express(quantity, v, target)

        return Summary(s.count, conv(s.average), conv(s.min), conv(s.max), target)

    # ---- devices and cartridge lots ----
    async def register_device(self, user_id: str, serial: str, model: str | None, name: str | None) -> Device:
        serial = serial.strip().upper()
        if not SERIAL.fullmatch(serial):
            raise InvalidMeasurement("serial must be 4-64 letters, digits or dashes", field="serial")
        existing = await self.devices.by_serial(serial)
        if existing is None:
            try:
                return await self.devices.insert(user_id, serial, model, name, to_millis(self.clock()))
            except AlreadyExists as e:
                existing = e.existing if isinstance(e.existing, Device) else None
        if existing is None or existing.user_id != user_id:
            raise DeviceOwnedElsewhere(serial)
        return existing  # registering your own reader again is a no-op

    async def devices_of(self, user_ids: Sequence[str]) -> dict[str, list[Device]]:
        out: dict[str, list[Device]] = {u: [] for u in user_ids}
        for d in await self.devices.for_users(user_ids):
            out[d.user_id].append(d)
        return out

    async def cartridge_lot(self, lot: str) -> CartridgeLot:
        found = await self.cartridges.lot(lot)
        if found is None:
            raise UnknownCartridgeLot(lot)
        return found

    async def register_lot(
        self,
        lot: str,
        type_: MeasurementType,
        expires_at: datetime,
        calibration: Sequence[float],
        method: AssayMethod | None = None,
    ) -> CartridgeLot:
        if not LOT.fullmatch(lot):
            raise InvalidMeasurement("lot must be 2-64 letters, digits or dashes", field="lot")
        spec = spec_for(type_)
        if MeasurementSource.CARTRIDGE not in spec.sources:
            raise InvalidMeasurement(f"no cartridge measures {type_.value}", field="type")
        if method is not None and method not in spec.methods:
            allowed = ", ".join(m.value for m in spec.methods) or "none (it has one method)"
            raise InvalidMeasurement(
                f"{type_.value} is not measured by {method.value} (methods: {allowed})", field="method"
            )
        if expires_at.tzinfo is None:
            raise InvalidMeasurement("expiresAt needs a time zone offset", field="expiresAt")
        if len(calibration) > MAX_CALIBRATION or not all(math.isfinite(c) for c in calibration):
            raise InvalidMeasurement(
                f"calibration is at most {MAX_CALIBRATION} finite numbers", field="calibration"
            )
        return await self.cartridges.upsert_lot(
            CartridgeLot(
                lot=lot,
                type=type_,
                expires_at=to_millis(expires_at),
                calibration=tuple(calibration),
                # Named explicitly, so the lot's readings keep their codes if the default ever changes.
                method=method or spec.default_method,
            ),
            to_millis(self.clock()),
        )


def _check_range(since: datetime | None, until: datetime | None) -> None:
    for name, at in (("since", since), ("until", until)):
        if at is not None and at.tzinfo is None:
            raise InvalidMeasurement(f"{name} needs a time zone offset", field=name)
    if since is not None and until is not None and until <= since:
        raise InvalidMeasurement("until must be after since", field="until")


def _cursor(after: str | None) -> Cursor | None:
    """The (takenAt, clientId) position of an opaque `libs.graphql.cursor` cursor."""
    if after is None:
        return None
    taken_at, client_id = decode_cursor(after, field="after")
    if not CLIENT_ID.fullmatch(client_id):
        raise InvalidMeasurement("after is not a cursor from this list", field="after")
    return Cursor(taken_at=taken_at, client_id=client_id)
