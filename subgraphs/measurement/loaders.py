"""Per-request DataLoaders: one store query per batch of keys, whatever the shape of the operation."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from libs.auth import Role
from libs.errors import Forbidden, Unauthenticated
from subgraphs.measurement.context import Info
from subgraphs.measurement.domain import Device, Measurement


def authorized_user_ids(info: Info) -> DataLoader[str, str]:
    """Resolves `User` references: the viewer's own id, anyone's for ADMIN/SUPPORT (whose fields then allow
    only the count), FORBIDDEN otherwise (per key, one batch)."""
    viewer = info.context.viewer

    async def load(ids: Sequence[str]) -> list[str | BaseException]:
        if viewer.user_id is None:
            error = Unauthenticated(viewer.auth_error or "authentication required")
            return [error for _ in ids]
        if viewer.has_role(Role.ADMIN, Role.SUPPORT):
            return list(ids)
        return [
            i if i == viewer.user_id else Forbidden("you may only access your own measurements") for i in ids
        ]

    return info.context.loader("authorized_user_ids", lambda: DataLoader(load_fn=load))


def measurements_by_id(info: Info) -> DataLoader[str, Measurement | None]:
    service = info.context.resources.service

    async def load(ids: Sequence[str]) -> list[Measurement | None]:
        found = await service.get_many(ids)
        return [found.get(i) for i in ids]

    return info.context.loader("measurements_by_id", lambda: DataLoader(load_fn=load))


def latest_by_user(info: Info) -> DataLoader[str, list[Measurement]]:
    service = info.context.resources.service

    async def load(user_ids: Sequence[str]) -> list[list[Measurement]]:
        # One aggregation per user, shaped for an index DISTINCT_SCAN on MongoDB (see the repository).
        return list(await asyncio.gather(*(service.latest(u) for u in user_ids)))

    return info.context.loader("latest_by_user", lambda: DataLoader(load_fn=load))


def counts_by_user(info: Info) -> DataLoader[str, int]:
    service = info.context.resources.service

    async def load(user_ids: Sequence[str]) -> list[int]:
        found = await service.counts(list(user_ids))
        return [found[u] for u in user_ids]

    return info.context.loader("counts_by_user", lambda: DataLoader(load_fn=load))


def devices_by_user(info: Info) -> DataLoader[str, list[Device]]:
    service = info.context.resources.service

    async def load(user_ids: Sequence[str]) -> list[list[Device]]:
        found = await service.devices_of(list(user_ids))
        return [found[u] for u in user_ids]

    return info.context.loader("devices_by_user", lambda: DataLoader(load_fn=load))
