"""GraphQL types of the measurement subgraph (built from domain objects, never from documents), including the
federated `User` extension. Who may read each `User` field is declared on the field (`libs.auth.fields`)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.extensions import FieldExtension

from libs.auth import Role, require_viewer
from libs.auth.fields import owner_or_roles
from libs.auth.permissions import can_access
from libs.errors import Forbidden
from libs.graphql.cursor import encode_cursor
from libs.time import as_utc
from subgraphs.measurement import catalogue, domain, grants
from subgraphs.measurement.catalogue import AssayMethod, MeasurementSource, MeasurementType, ReadingContext
from subgraphs.measurement.context import Info
from subgraphs.measurement.errors import OWN_MEASUREMENTS
from subgraphs.measurement.loaders import (
    authorized_user_ids,
    counts_by_user,
    devices_by_user,
    latest_by_user,
    measurements_by_id,
)
from subgraphs.measurement.service import MeasurementService
from subgraphs.measurement.validation import express

strawberry.enum(
    MeasurementType,
    name="MeasurementType",
    description="Cartridge panels of the reader, and vitals from wearables or manual entry",
)
strawberry.enum(MeasurementSource, name="MeasurementSource")
# In Python `MeasurementContext` is the request context (libs convention), so the enum is ReadingContext.
strawberry.enum(ReadingContext, name="MeasurementContext")
strawberry.enum(
    AssayMethod,
    name="AssayMethod",
    description="How a cartridge lot measures its marker; decides the LOINC code its readings carry",
)


@strawberry.type(description="One part of a panel (blood pressure, lipid panel), in its canonical UCUM unit")
class MeasurementComponent:
    code: str
    loinc: str
    value: float
    unit: str
    measurement_type: strawberry.Private[MeasurementType]

    @strawberry.field(description="value converted to another accepted UCUM unit (e.g. mmol/L)")
    def value_in(self, unit: str) -> float:
        quantity = catalogue.spec_for(self.measurement_type).component(self.code)
        assert quantity is not None
        return express(quantity, self.value, unit)


@strawberry.federation.type(keys=["id"], description="A measurement, stored in canonical UCUM units")
class Measurement:
    id: strawberry.ID
    type: MeasurementType
    loinc: str = strawberry.field(
        description="LOINC code of what was measured (and how, when the source says)"
    )
    value: float | None = strawberry.field(description="null for panels: see components")
    unit: str | None = strawberry.field(description="UCUM unit of value")
    components: list[MeasurementComponent]
    taken_at: datetime
    recorded_at: datetime
    source: MeasurementSource
    context: ReadingContext | None
    client_id: str
    device_id: strawberry.ID | None
    cartridge_lot: str | None
    entered_value: float | None = strawberry.field(description="the value as sent, before conversion")
    entered_unit: str | None
    owner_id: strawberry.Private[str]

    @strawberry.field(description="value converted to another accepted UCUM unit; null for panels")
    def value_in(self, unit: str) -> float | None:
        quantity = catalogue.spec_for(self.type).value
        if quantity is None or self.value is None:
            return None
        return express(quantity, self.value, unit)

    @classmethod
    def from_domain(cls, m: domain.Measurement) -> Measurement:
        return cls(
            id=strawberry.ID(m.id),
            type=m.type,
            loinc=m.loinc,
            value=m.value,
            unit=m.unit,
            components=[
                MeasurementComponent(
                    code=c.code, loinc=c.loinc, value=c.value, unit=c.unit, measurement_type=m.type
                )
                for c in m.components
            ],
            taken_at=m.taken_at,
            recorded_at=m.recorded_at or m.taken_at,
            source=m.source,
            context=m.context,
            client_id=m.client_id,
            device_id=strawberry.ID(m.device_id) if m.device_id else None,
            cartridge_lot=m.cartridge_lot,
            entered_value=m.entered_value,
            entered_unit=m.entered_unit,
            owner_id=m.user_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Measurement | None:
        # The entity itself is the guard (a measurement is its owner's alone, staff included): every other
        # path to a Measurement goes through an owner-only User field or the owner's own mutation.
        viewer = require_viewer(info.context.viewer)
        m = await measurements_by_id(info).load(str(id))
        if m is None:
            return None
        if not can_access(viewer, m.user_id):
            raise Forbidden(OWN_MEASUREMENTS)
        return cls.from_domain(m)


@strawberry.federation.type(shareable=True)
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class MeasurementEdge:
    node: Measurement
    cursor: str


@strawberry.type
class MeasurementConnection:
    edges: list[MeasurementEdge]
    page_info: PageInfo


@strawberry.type(description="Computed in the database over the selected range")
class MeasurementSummary:
    count: int
    average: float | None
    min: float | None
    max: float | None
    unit: str | None


@strawberry.type(description="A ManPaSik reader registered to a user")
class Device:
    id: strawberry.ID
    serial: str
    model: str | None
    name: str | None
    registered_at: datetime

    @classmethod
    def from_domain(cls, d: domain.Device) -> Device:
        return cls(
            id=strawberry.ID(d.id), serial=d.serial, model=d.model, name=d.name, registered_at=d.registered_at
        )


@strawberry.type(description="A production lot of cartridges: what it measures, until when, how to calibrate")
class CartridgeLot:
    lot: str
    type: MeasurementType
    expires_at: datetime
    calibration: list[float] = strawberry.field(description="coefficients the reader applies to this lot")
    method: AssayMethod | None = strawberry.field(
        description="how the lot measures (null: its type has a single method)"
    )

    @classmethod
    def from_domain(cls, lot: domain.CartridgeLot) -> CartridgeLot:
        return cls(
            lot=lot.lot,
            type=lot.type,
            expires_at=lot.expires_at,
            calibration=list(lot.calibration),
            method=lot.method or catalogue.spec_for(lot.type).default_method,
        )


@strawberry.type(description="What the server accepts for one quantity (a type, or a panel's component)")
class QuantityInfo:
    code: str
    loinc: str
    unit: str
    accepted_units: list[str]
    plausible_min: float
    plausible_max: float


@strawberry.type
class MeasurementTypeInfo:
    type: MeasurementType
    loinc: str
    category: str
    sources: list[MeasurementSource]
    value: QuantityInfo | None
    components: list[QuantityInfo]

    @classmethod
    def from_spec(cls, s: catalogue.MeasurementSpec) -> MeasurementTypeInfo:
        def q(x: catalogue.Quantity) -> QuantityInfo:
            return QuantityInfo(
                code=x.code,
                loinc=x.loinc,
                unit=x.unit,
                accepted_units=list(x.units),
                plausible_min=x.low,
                plausible_max=x.high,
            )

        return cls(
            type=s.type,
            loinc=s.loinc,
            category=s.category,
            sources=sorted(s.sources, key=lambda x: x.value),
            value=q(s.value) if s.value else None,
            components=[q(c) for c in s.components],
        )


def _user_id(user: User) -> str:
    return str(user.id)


def _owner_only() -> list[FieldExtension]:
    """Readings are the user's alone (ADMIN and SUPPORT included): staff may only see how many there are."""
    return [owner_or_roles(owner=_user_id, message=OWN_MEASUREMENTS)]


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> User:
        # Batched: the owner (or ADMIN/SUPPORT, who may read only the count) gets it, others FORBIDDEN.
        return cls(id=strawberry.ID(await authorized_user_ids(info).load(str(id))))

    @strawberry.field(description="The newest measurement of each type", extensions=_owner_only())
    async def latest_measurements(self, info: Info) -> list[Measurement]:
        return [Measurement.from_domain(m) for m in await latest_by_user(info).load(str(self.id))]

    @strawberry.field(
        description="Newest first; `since` inclusive, `until` exclusive. Also readable by a doctor the user "
        "shares with during a consultation (from the consented date on; each read is logged)",
        extensions=[grants.owner_or_grantee()],
    )
    async def measurements(
        self,
        info: Info,
        type: MeasurementType,
        since: datetime | None = None,
        until: datetime | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> MeasurementConnection:
        grant = await grants.grant_for(info, str(self.id))  # None: the owner reads
        consented = None if grant is None else as_utc(grant.since)
        if consented is not None:
            since = consented if since is None else max(as_utc(since), consented)
        async with info.context.read() as repo:
            service = MeasurementService(repo, info.context.resources.deps)
            page = await service.history(str(self.id), type, since, until, first, after)
        if grant is not None:
            read = f"measurements:{type.value} since {since} ({len(page.items)})"
            await grants.record_read(info, str(self.id), grant, read)
        edges = [
            MeasurementEdge(node=Measurement.from_domain(m), cursor=encode_cursor(m.taken_at, m.client_id))
            for m in page.items
        ]
        return MeasurementConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
        )

    @strawberry.field(
        description="count/average/min/max over the range, computed in the database; panels "
        "need `component` (e.g. SYSTOLIC); `unit` converts (default: the canonical unit)",
        extensions=_owner_only(),
    )
    async def measurement_summary(
        self,
        info: Info,
        type: MeasurementType,
        since: datetime | None = None,
        until: datetime | None = None,
        component: str | None = None,
        unit: str | None = None,
    ) -> MeasurementSummary:
        async with info.context.read() as repo:
            service = MeasurementService(repo, info.context.resources.deps)
            s = await service.summary(str(self.id), type, since, until, component, unit)
        return MeasurementSummary(count=s.count, average=s.average, min=s.min, max=s.max, unit=s.unit)

    @strawberry.field(
        description="How many measurements the user has (the user, ADMIN and SUPPORT)",
        extensions=[owner_or_roles(Role.ADMIN, Role.SUPPORT, owner=_user_id)],
    )
    async def measurement_count(self, info: Info) -> int:
        return await counts_by_user(info).load(str(self.id))

    @strawberry.field(description="Readers registered to this user", extensions=_owner_only())
    async def devices(self, info: Info) -> list[Device]:
        return [Device.from_domain(d) for d in await devices_by_user(info).load(str(self.id))]


@strawberry.input
class MeasurementComponentInput:
    code: str
    value: float
    unit: str | None = None


@strawberry.input(description="Read from the cartridge's NFC tag by the reader")
class CartridgeReadingInput:
    uid: str = strawberry.field(description="7-byte NFC UID, hex")
    lot: str
    auth_message: str = strawberry.field(description="SUN message: picc_data=<32 hex>&cmac=<16 hex>")


@strawberry.input
class RecordMeasurementInput:
    type: MeasurementType
    value: float | None = None
    unit: str | None = strawberry.field(default=None, description="UCUM, e.g. mg/dL, mmol/L, %, mm[Hg], /min")
    components: list[MeasurementComponentInput] | None = None
    taken_at: datetime | None = strawberry.field(default=None, description="default: now")
    source: MeasurementSource = MeasurementSource.MANUAL
    device_id: strawberry.ID | None = None
    cartridge: CartridgeReadingInput | None = None
    context: ReadingContext | None = None
    client_id: str | None = strawberry.field(default=None, description="idempotency key chosen by the app")

    def to_domain(self) -> domain.MeasurementInput:
        return domain.MeasurementInput(
            type=self.type,
            source=self.source,
            value=self.value,
            unit=self.unit,
            components=tuple(
                domain.ComponentInput(c.code, c.value, c.unit or None) for c in self.components or []
            ),
            taken_at=self.taken_at,
            context=self.context,
            client_id=self.client_id,
            device_id=str(self.device_id) if self.device_id else None,
            cartridge=domain.CartridgeReading(
                self.cartridge.uid, self.cartridge.lot, self.cartridge.auth_message
            )
            if self.cartridge
            else None,
        )


@strawberry.input
class RegisterDeviceInput:
    serial: str
    model: str | None = None
    name: str | None = None


@strawberry.input
class RegisterCartridgeLotInput:
    lot: str
    type: MeasurementType
    expires_at: datetime
    calibration: list[float] = strawberry.field(default_factory=list)
    method: AssayMethod | None = strawberry.field(
        default=None, description="for types with several methods (default: the first of the catalogue's)"
    )
