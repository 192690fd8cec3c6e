"""Per-request DataLoaders: one store query per batch, whatever the number of users or insights asked for."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from subgraphs.coaching.context import CoachingContext
from subgraphs.coaching.models import InsightRow
from subgraphs.coaching.service import CoachingService


def latest_insights(ctx: CoachingContext) -> DataLoader[tuple[str, int], list[InsightRow]]:
    """Keyed by (user id, first): one query per distinct `first` in the request (in practice: one)."""

    async def load(keys: Sequence[tuple[str, int]]) -> list[list[InsightRow]]:
        by_first: dict[int, list[str]] = defaultdict(list)
        for user_id, first in keys:
            by_first[first].append(user_id)
        found: dict[tuple[str, int], list[InsightRow]] = {}
        async with ctx.read() as repo:
            service = CoachingService(repo, ctx.resources.deps)
            for first, user_ids in by_first.items():
                rows = await service.latest_insights(user_ids, first)
                found.update({(u, first): rows[u] for u in user_ids})
        return [found[k] for k in keys]

    return ctx.loader("latest_insights", lambda: DataLoader(load))


def insights(ctx: CoachingContext) -> DataLoader[str, InsightRow | None]:
    async def load(ids: Sequence[str]) -> list[InsightRow | None]:
        async with ctx.read() as repo:
            return await CoachingService(repo, ctx.resources.deps).insights(ids)

    return ctx.loader("insights", lambda: DataLoader(load))
