"""Per-request DataLoaders: one store query per batch."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from subgraphs.notification.context import NotificationContext
from subgraphs.notification.service import NotificationService


def unread_counts(ctx: NotificationContext) -> DataLoader[str, int]:
    """Home asks every user representation for its count: one grouped query for all of them."""

    async def load(user_ids: Sequence[str]) -> list[int]:
        async with ctx.read() as repo:
            counts = await NotificationService(repo, ctx.resources.deps).unread_counts(user_ids)
        return [counts.get(u, 0) for u in user_ids]

    return ctx.loader("unread_counts", lambda: DataLoader(load))
