"""Per-request DataLoaders: one store query per batch, whatever the number of users or insights asked for."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from subgraphs.coaching.context import CoachingContext
from subgraphs.coaching.models import InsightRow


def latest_insights(ctx: CoachingContext) -> DataLoader[tuple[str, int], list[InsightRow]]:
    """Keyed by (user id, first): one query per distinct `first` in the request (in practice: one)."""

    async def load(keys: Sequence[tuple[str, int]]) -> list[list[InsightRow]]:
        by_first: dict[int, list[str]] = defaultdict(list)
        for user_id, first in keys:
            by_first[first].append(user_id)
        found: dict[tuple[str, int], list[InsightRow]] = {}
        for first, user_ids in by_first.items():
            rows = await ctx.resources.service.latest_insights(user_ids, first)
            found.update({(u, first): rows[u] for u in user_ids})
        return [found[k] for k in keys]

    return ctx.loader("latest_insights", lambda: DataLoader(load))


def insights(ctx: CoachingContext) -> DataLoader[str, InsightRow | None]:
    async def load(ids: Sequence[str]) -> list[InsightRow | None]:
        rows = await ctx.resources.service.insights_by_ids(ids)
        return [rows.get(i) for i in ids]

    return ctx.loader("insights", lambda: DataLoader(load))
