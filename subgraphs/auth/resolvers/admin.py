"""The admin console's account actions (ADMIN only)."""

from __future__ import annotations

import strawberry

from libs.auth import Role, require_role
from subgraphs.auth.context import Info
from subgraphs.auth.service.admin import AdminService, encode_cursor
from subgraphs.auth.types import PageInfo, User, UserConnection, UserEdge
from subgraphs.auth.types import Role as RoleType


@strawberry.type
class AdminQuery:
    @strawberry.field(description="ADMIN and SUPPORT: accounts, newest first; search matches email or name.")
    async def admin_users(self, info: Info, first: int, search: str | None = None,
                          after: str | None = None) -> UserConnection:
        require_role(info.context.viewer, Role.ADMIN, Role.SUPPORT)
        async with info.context.read() as repo:
            service = AdminService(repo, info.context.resources.deps)
            rows, more = await service.list_users(search, first, after)
        edges = [UserEdge(node=User.from_row(r), cursor=encode_cursor(r)) for r in rows]
        return UserConnection(edges=edges, page_info=PageInfo(has_next_page=more,
                                                              end_cursor=edges[-1].cursor if edges else None))


@strawberry.type
class AdminMutation:
    @strawberry.mutation(
        description="Ends every session of the user at once; log-in refused until reinstated."
    )
    async def suspend_user(self, info: Info, user_id: strawberry.ID, reason: str) -> User:
        viewer = require_role(info.context.viewer, Role.ADMIN)
        async with info.context.unit_of_work() as repo:
            row = await AdminService(repo, info.context.resources.deps).suspend(
                str(viewer.user_id), str(user_id), reason
            )
        return User.from_row(row)

    @strawberry.mutation
    async def reinstate_user(self, info: Info, user_id: strawberry.ID, reason: str) -> User:
        viewer = require_role(info.context.viewer, Role.ADMIN)
        async with info.context.unit_of_work() as repo:
            row = await AdminService(repo, info.context.resources.deps).reinstate(
                str(viewer.user_id), str(user_id), reason
            )
        return User.from_row(row)

    @strawberry.mutation
    async def grant_role(self, info: Info, user_id: strawberry.ID, role: RoleType) -> User:  # type: ignore[valid-type]
        viewer = require_role(info.context.viewer, Role.ADMIN)
        async with info.context.unit_of_work() as repo:
            row = await AdminService(repo, info.context.resources.deps).grant_role(
                str(viewer.user_id), str(user_id), Role(role)
            )
        return User.from_row(row)
