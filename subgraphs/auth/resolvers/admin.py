"""The admin console's account actions (ADMIN only)."""

from __future__ import annotations

import strawberry

from libs.auth import Role
from libs.auth.fields import roles
from subgraphs.auth.context import Info
from subgraphs.auth.resolvers.common import viewer_id
from subgraphs.auth.service.admin import AdminService, user_cursor
from subgraphs.auth.types import PageInfo, User, UserConnection, UserEdge
from subgraphs.auth.types import Role as RoleType


@strawberry.type
class AdminQuery:
    @strawberry.field(description="ADMIN and SUPPORT: accounts, newest first; search matches email or name.",
                      extensions=[roles(Role.ADMIN, Role.SUPPORT)])
    async def admin_users(self, info: Info, first: int, search: str | None = None,
                          after: str | None = None) -> UserConnection:
        async with info.context.read() as repo:
            service = AdminService(repo, info.context.resources.deps)
            rows, more = await service.list_users(search, first, after)
        edges = [UserEdge(node=User.from_row(r), cursor=user_cursor(r)) for r in rows]
        return UserConnection(edges=edges, page_info=PageInfo(has_next_page=more,
                                                              end_cursor=edges[-1].cursor if edges else None))


@strawberry.type
class AdminMutation:
    @strawberry.mutation(
        description="Ends every session of the user at once; log-in refused until reinstated.",
        extensions=[roles(Role.ADMIN)],
    )
    async def suspend_user(self, info: Info, user_id: strawberry.ID, reason: str) -> User:
        async with info.context.unit_of_work() as repo:
            row = await AdminService(repo, info.context.resources.deps).suspend(
                viewer_id(info), str(user_id), reason
            )
        return User.from_row(row)

    @strawberry.mutation(extensions=[roles(Role.ADMIN)])
    async def reinstate_user(self, info: Info, user_id: strawberry.ID, reason: str) -> User:
        async with info.context.unit_of_work() as repo:
            row = await AdminService(repo, info.context.resources.deps).reinstate(
                viewer_id(info), str(user_id), reason
            )
        return User.from_row(row)

    @strawberry.mutation(extensions=[roles(Role.ADMIN)])
    async def grant_role(self, info: Info, user_id: strawberry.ID, role: RoleType) -> User:  # type: ignore[valid-type]
        async with info.context.unit_of_work() as repo:
            row = await AdminService(repo, info.context.resources.deps).grant_role(
                viewer_id(info), str(user_id), Role(role)
            )
        return User.from_row(row)
