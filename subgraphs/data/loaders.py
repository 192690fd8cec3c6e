"""Per-request DataLoaders: one query for the exports of every user a request asks about."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from subgraphs.data.context import DataContext
from subgraphs.data.models import ExportRow
from subgraphs.data.service import ExportService


def exports(ctx: DataContext) -> DataLoader[str, list[ExportRow]]:
    async def load(user_ids: Sequence[str]) -> list[list[ExportRow]]:
        async with ctx.read() as repo:
            found = await ExportService(repo, ctx.resources.deps).exports_of(list(user_ids))
        return [found[u] for u in user_ids]

    return ctx.loader("exports", lambda: DataLoader(load))
