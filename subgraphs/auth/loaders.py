"""Per-request DataLoaders (created through `info.context.loader`, never at module level)."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from libs.time import utcnow
from subgraphs.auth.context import AuthContext
from subgraphs.auth.models import SessionRow, UserRow


def users(ctx: AuthContext) -> DataLoader[str, UserRow | None]:
    async def load(ids: Sequence[str]) -> list[UserRow | None]:
        async with ctx.read() as repo:
            rows = {row.id: row for row in await repo.users_by_ids(ids)}
        return [rows.get(i) for i in ids]

    return ctx.loader("users", lambda: DataLoader(load_fn=load))


def sessions_by_user(ctx: AuthContext) -> DataLoader[str, list[SessionRow]]:
    async def load(user_ids: Sequence[str]) -> list[list[SessionRow]]:
        async with ctx.read() as repo:
            rows = await repo.sessions_of_users(user_ids, active_at=utcnow())
        by_user: dict[str, list[SessionRow]] = {u: [] for u in user_ids}
        for row in rows:
            by_user[row.user_id].append(row)
        return [by_user[u] for u in user_ids]

    return ctx.loader("sessions_by_user", lambda: DataLoader(load_fn=load))
