"""Root fields: parse, open the request's unit of work, call the service; build GraphQL types from what it
returns. The federated `User` fields are in types.py, with who may read them."""

from __future__ import annotations

import strawberry

from libs.auth import Role, require_viewer
from libs.auth.fields import authenticated, roles
from subgraphs.measurement.catalogue import CATALOGUE
from subgraphs.measurement.context import Info
from subgraphs.measurement.service import MeasurementService
from subgraphs.measurement.types import (
    CartridgeLot,
    Device,
    Measurement,
    MeasurementTypeInfo,
    RecordMeasurementInput,
    RegisterCartridgeLotInput,
    RegisterDeviceInput,
)


def _caller(info: Info) -> str:
    """Who records or registers: always for themselves (UNAUTHENTICATED without a valid token)."""
    user_id = require_viewer(info.context.viewer).user_id
    assert user_id is not None
    return user_id


@strawberry.type
class Query:
    @strawberry.field(description="Types, LOINC codes, units and plausible ranges the server accepts")
    def measurement_catalogue(self) -> list[MeasurementTypeInfo]:
        return [MeasurementTypeInfo.from_spec(s) for s in CATALOGUE.values()]

    @strawberry.field(
        description="A cartridge lot's type, expiry and calibration (the app fetches these)",
        extensions=[authenticated()],
    )
    async def cartridge_lot(self, info: Info, lot: str) -> CartridgeLot:
        async with info.context.read() as repo:
            found = await MeasurementService(repo, info.context.resources.deps).cartridge_lot(lot)
        return CartridgeLot.from_domain(found)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def record_measurement(self, info: Info, input: RecordMeasurementInput) -> Measurement:
        user_id, raw = _caller(info), input.to_domain()
        async with info.context.unit_of_work() as repo:
            m = await MeasurementService(repo, info.context.resources.deps).record(user_id, raw)
        return Measurement.from_domain(m)

    @strawberry.mutation(
        description="Batch upload after the device was offline: all inputs are validated before "
        "any is stored; idempotent per clientId"
    )
    async def record_measurements(
        self, info: Info, inputs: list[RecordMeasurementInput]
    ) -> list[Measurement]:
        user_id, raws = _caller(info), [i.to_domain() for i in inputs]
        async with info.context.unit_of_work() as repo:
            stored = await MeasurementService(repo, info.context.resources.deps).record_many(user_id, raws)
        return [Measurement.from_domain(m) for m in stored]

    @strawberry.mutation(description="Registers a reader to the caller by serial (again: no-op)")
    async def register_device(self, info: Info, input: RegisterDeviceInput) -> Device:
        user_id = _caller(info)
        async with info.context.unit_of_work() as repo:
            d = await MeasurementService(repo, info.context.resources.deps).register_device(
                user_id, input.serial, input.model, input.name
            )
        return Device.from_domain(d)

    @strawberry.mutation(
        description="Creates or updates a cartridge lot (ADMIN)", extensions=[roles(Role.ADMIN)]
    )
    async def register_cartridge_lot(self, info: Info, input: RegisterCartridgeLotInput) -> CartridgeLot:
        async with info.context.unit_of_work() as repo:
            lot = await MeasurementService(repo, info.context.resources.deps).register_lot(
                input.lot, input.type, input.expires_at, input.calibration, input.method
            )
        return CartridgeLot.from_domain(lot)
