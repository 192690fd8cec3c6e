"""Per-request DataLoaders (created through `info.context.loader`, never at module level)."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from subgraphs.auth.context import AuthContext
from subgraphs.auth.models import UserRow


def users(ctx: AuthContext) -> DataLoader[str, UserRow | None]:
    async def load(ids: Sequence[str]) -> list[UserRow | None]:
        async with ctx.read() as repo:
            rows = {row.id: row for row in await repo.users_by_ids(ids)}
        return [rows.get(i) for i in ids]

    return ctx.loader("users", lambda: DataLoader(load_fn=load))
