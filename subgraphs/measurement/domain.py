"""Plain domain objects passed between resolvers, service and repository (no Strawberry, no Mongo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from subgraphs.measurement.catalogue import AssayMethod, MeasurementSource, MeasurementType, ReadingContext


@dataclass(frozen=True, slots=True)
class ComponentInput:
    code: str
    value: float
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class CartridgeReading:
    uid: str
    lot: str
    auth_message: str  # the SUN part of the cartridge's NFC URL: picc_data=<32 hex>&cmac=<16 hex>


@dataclass(frozen=True, slots=True)
class MeasurementInput:
    """What a client sent, before validation."""

    type: MeasurementType
    source: MeasurementSource
    value: float | None = None
    unit: str | None = None
    components: tuple[ComponentInput, ...] = ()
    taken_at: datetime | None = None
    context: ReadingContext | None = None
    client_id: str | None = None
    device_id: str | None = None
    cartridge: CartridgeReading | None = None


@dataclass(frozen=True, slots=True)
class Component:
    code: str
    loinc: str
    value: float
    unit: str


@dataclass(frozen=True, slots=True)
class Measurement:
    """A validated, normalised measurement (canonical units). `id` is empty until stored."""

    user_id: str
    type: MeasurementType
    loinc: str
    source: MeasurementSource
    taken_at: datetime
    client_id: str
    value: float | None
    unit: str | None
    components: tuple[Component, ...] = ()
    entered_value: float | None = None
    entered_unit: str | None = None
    context: ReadingContext | None = None
    device_id: str | None = None
    cartridge_uid: str | None = None
    cartridge_lot: str | None = None
    recorded_at: datetime | None = None
    id: str = ""


@dataclass(frozen=True, slots=True)
class Summary:
    count: int
    average: float | None
    min: float | None
    max: float | None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Keyset position in a history: (takenAt, clientId), both in the index and unique per user."""

    taken_at: datetime
    client_id: str


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Measurement]
    has_next: bool


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    user_id: str
    serial: str
    model: str | None
    name: str | None
    registered_at: datetime


@dataclass(frozen=True, slots=True)
class CartridgeLot:
    lot: str
    type: MeasurementType
    expires_at: datetime
    calibration: tuple[float, ...] = field(default_factory=tuple)
    created_at: datetime | None = None
    method: AssayMethod | None = None  # decides the readings' LOINC codes (None: the type has one method)


@dataclass(frozen=True, slots=True)
class CartridgeUse:
    """The first (and only accepted) reading of one physical cartridge."""

    uid: str
    lot: str
    counter: int
    user_id: str
    client_id: str
    measurement_id: str
    used_at: datetime
