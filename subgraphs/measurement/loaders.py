"""Per-request DataLoaders: one store query per batch of keys, whatever the shape of the operation."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from libs.auth import Role
from libs.auth.permissions import can_access
from libs.errors import Forbidden, Unauthenticated
from subgraphs.measurement.context import Info
from subgraphs.measurement.domain import Device, Measurement
from subgraphs.measurement.errors import OWN_MEASUREMENTS
from subgraphs.measurement.grants import grants_for_viewer
from subgraphs.measurement.service import MeasurementService


def authorized_user_ids(info: Info) -> DataLoader[str, str]:
    """Resolves `User` references: the viewer's own id, anyone's for ADMIN/SUPPORT (whose fields then allow
    only the count, see types.User), a patient's for the doctor they share with now (grants.py), FORBIDDEN
    otherwise (per key, one batch)."""
    viewer = info.context.viewer

    async def load(ids: Sequence[str]) -> list[str | BaseException]:
        if viewer.user_id is None:
            error = Unauthenticated(viewer.auth_error or "authentication required")
            return [error for _ in ids]
        others = [i for i in ids if not can_access(viewer, i, Role.ADMIN, Role.SUPPORT)]
        granted = await grants_for_viewer(info).load_many(others)
        shared = {i for i, grant in zip(others, granted, strict=True) if grant is not None}
        return [i if i in shared or i not in others else Forbidden(OWN_MEASUREMENTS) for i in ids]

    return info.context.loader("authorized_user_ids", lambda: DataLoader(load_fn=load))


def measurements_by_id(info: Info) -> DataLoader[str, Measurement | None]:
    async def load(ids: Sequence[str]) -> list[Measurement | None]:
        async with info.context.read() as repo:
            found = await MeasurementService(repo, info.context.resources.deps).get_many(ids)
        return [found.get(i) for i in ids]

    return info.context.loader("measurements_by_id", lambda: DataLoader(load_fn=load))


def latest_by_user(info: Info) -> DataLoader[str, list[Measurement]]:
    async def load(user_ids: Sequence[str]) -> list[list[Measurement]]:
        async with info.context.read() as repo:
            service = MeasurementService(repo, info.context.resources.deps)
            # One find per user of their latest-per-type documents (one per type: see the repository).
            return list(await asyncio.gather(*(service.latest(u) for u in user_ids)))

    return info.context.loader("latest_by_user", lambda: DataLoader(load_fn=load))


def counts_by_user(info: Info) -> DataLoader[str, int]:
    async def load(user_ids: Sequence[str]) -> list[int]:
        async with info.context.read() as repo:
            found = await MeasurementService(repo, info.context.resources.deps).counts(list(user_ids))
        return [found[u] for u in user_ids]

    return info.context.loader("counts_by_user", lambda: DataLoader(load_fn=load))


def devices_by_user(info: Info) -> DataLoader[str, list[Device]]:
    async def load(user_ids: Sequence[str]) -> list[list[Device]]:
        async with info.context.read() as repo:
            found = await MeasurementService(repo, info.context.resources.deps).devices_of(list(user_ids))
        return [found[u] for u in user_ids]

    return info.context.loader("devices_by_user", lambda: DataLoader(load_fn=load))
