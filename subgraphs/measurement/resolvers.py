"""Entry points: parse and authorize, then call the service; build GraphQL types from what it returns."""

from __future__ import annotations

from datetime import datetime

import strawberry

from libs.auth import Role, require_role, require_self_or_role, require_viewer
from libs.errors import Forbidden
from subgraphs.measurement.catalogue import CATALOGUE, MeasurementType
from subgraphs.measurement.context import Info
from subgraphs.measurement.loaders import authorized_user_ids, counts_by_user, devices_by_user, latest_by_user
from subgraphs.measurement.service import encode_cursor
from subgraphs.measurement.types import (
    CartridgeLot,
    Device,
    Measurement,
    MeasurementConnection,
    MeasurementEdge,
    MeasurementSummary,
    MeasurementTypeInfo,
    PageInfo,
    RecordMeasurementInput,
    RegisterCartridgeLotInput,
    RegisterDeviceInput,
)


def _require_owner(info: Info, user_id: str) -> str:
    """Health data is the owner's alone: any other viewer (or role) gets FORBIDDEN."""
    viewer = require_viewer(info.context.viewer)
    if viewer.user_id != user_id:
        raise Forbidden("you may only access your own measurements")
    return user_id


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> User:
        # Batched and authorized like every field below (which check again: a User may come from elsewhere).
        return cls(id=strawberry.ID(await authorized_user_ids(info).load(str(id))))

    @strawberry.field(description="The newest measurement of each type")
    async def latest_measurements(self, info: Info) -> list[Measurement]:
        user_id = _require_owner(info, str(self.id))
        return [Measurement.from_domain(m) for m in await latest_by_user(info).load(user_id)]

    @strawberry.field(description="Newest first; `since` inclusive, `until` exclusive")
    async def measurements(
        self,
        info: Info,
        type: MeasurementType,
        since: datetime | None = None,
        until: datetime | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> MeasurementConnection:
        user_id = _require_owner(info, str(self.id))
        page = await info.context.service.history(user_id, type, since, until, first, after)
        edges = [
            MeasurementEdge(node=Measurement.from_domain(m), cursor=encode_cursor(m)) for m in page.items
        ]
        return MeasurementConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
        )

    @strawberry.field(
        description="count/average/min/max over the range, computed in the database; panels "
        "need `component` (e.g. SYSTOLIC); `unit` converts (default: the canonical unit)"
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
        user_id = _require_owner(info, str(self.id))
        s = await info.context.service.summary(user_id, type, since, until, component, unit)
        return MeasurementSummary(count=s.count, average=s.average, min=s.min, max=s.max, unit=s.unit)

    @strawberry.field(description="How many measurements the user has (the user, ADMIN and SUPPORT)")
    async def measurement_count(self, info: Info) -> int:
        require_self_or_role(info.context.viewer, str(self.id), Role.ADMIN, Role.SUPPORT)
        return await counts_by_user(info).load(str(self.id))

    @strawberry.field(description="Readers registered to this user")
    async def devices(self, info: Info) -> list[Device]:
        user_id = _require_owner(info, str(self.id))
        return [Device.from_domain(d) for d in await devices_by_user(info).load(user_id)]


@strawberry.type
class Query:
    @strawberry.field(description="Types, LOINC codes, units and plausible ranges the server accepts")
    def measurement_catalogue(self) -> list[MeasurementTypeInfo]:
        return [MeasurementTypeInfo.from_spec(s) for s in CATALOGUE.values()]

    @strawberry.field(description="A cartridge lot's type, expiry and calibration (the app fetches these)")
    async def cartridge_lot(self, info: Info, lot: str) -> CartridgeLot:
        require_viewer(info.context.viewer)
        return CartridgeLot.from_domain(await info.context.service.cartridge_lot(lot))


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def record_measurement(self, info: Info, input: RecordMeasurementInput) -> Measurement:
        viewer = require_viewer(info.context.viewer)
        assert viewer.user_id is not None
        m = await info.context.service.record(viewer.user_id, input.to_domain())
        return Measurement.from_domain(m)

    @strawberry.mutation(
        description="Batch upload after the device was offline: all inputs are validated before "
        "any is stored; idempotent per clientId"
    )
    async def record_measurements(
        self, info: Info, inputs: list[RecordMeasurementInput]
    ) -> list[Measurement]:
        viewer = require_viewer(info.context.viewer)
        assert viewer.user_id is not None
        stored = await info.context.service.record_many(viewer.user_id, [i.to_domain() for i in inputs])
        return [Measurement.from_domain(m) for m in stored]

    @strawberry.mutation(description="Registers a reader to the caller by serial (again: no-op)")
    async def register_device(self, info: Info, input: RegisterDeviceInput) -> Device:
        viewer = require_viewer(info.context.viewer)
        assert viewer.user_id is not None
        d = await info.context.service.register_device(viewer.user_id, input.serial, input.model, input.name)
        return Device.from_domain(d)

    @strawberry.mutation(description="Creates or updates a cartridge lot (ADMIN)")
    async def register_cartridge_lot(self, info: Info, input: RegisterCartridgeLotInput) -> CartridgeLot:
        require_role(info.context.viewer, Role.ADMIN)
        lot = await info.context.service.register_lot(
            input.lot, input.type, input.expires_at, input.calibration
        )
        return CartridgeLot.from_domain(lot)
