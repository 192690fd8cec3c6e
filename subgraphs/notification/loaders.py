"""Per-request DataLoaders: one store query per batch."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from subgraphs.notification.context import NotificationContext
from subgraphs.notification.models import NotificationRow


def unread_counts(ctx: NotificationContext) -> DataLoader[str, int]:
    async def load(user_ids: Sequence[str]) -> list[int]:
        counts = await ctx.resources.service.unread_counts(user_ids)
        return [counts.get(u, 0) for u in user_ids]

    return ctx.loader("unread_counts", lambda: DataLoader(load))


def notifications(ctx: NotificationContext) -> DataLoader[str, NotificationRow | None]:
    async def load(ids: Sequence[str]) -> list[NotificationRow | None]:
        rows = await ctx.resources.service.by_ids(ids)
        return [rows.get(i) for i in ids]

    return ctx.loader("notifications", lambda: DataLoader(load))
