"""Per-request DataLoaders: one store query per batch, whatever the number of users asked for."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from subgraphs.admin.context import AdminContext
from subgraphs.admin.service import AdminService


def open_report_counts(ctx: AdminContext) -> DataLoader[str, int]:
    async def load(user_ids: Sequence[str]) -> list[int]:
        async with ctx.read() as repo:
            counts = await AdminService(repo, ctx.resources.deps).open_report_counts(user_ids)
        return [counts.get(u, 0) for u in user_ids]

    return ctx.loader("open_report_counts", lambda: DataLoader(load))
