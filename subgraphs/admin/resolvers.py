"""The admin subgraph's root fields. ADMIN acts; SUPPORT reads where admin.graphql says so and works the
report queue; any signed-in user may report someone."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated

import strawberry

from libs.auth import Role, require_viewer
from libs.auth.fields import authenticated, roles
from subgraphs.admin.context import Info
from subgraphs.admin.service import AdminService, action_cursor, report_cursor
from subgraphs.admin.streams import replay
from subgraphs.admin.types import (
    STAFF,
    AdminAction,
    AdminActionConnection,
    AdminActionEdge,
    AnalyticsDay,
    PageInfo,
    ReportStatus,
    ServiceHealth,
    UserReport,
    UserReportConnection,
    UserReportEdge,
)


def _viewer_id(info: Info) -> str:
    """The caller, in a field whose permission already requires one."""
    return str(require_viewer(info.context.viewer).user_id)


def _report_page(rows: list[UserReport], cursors: list[str], more: bool) -> UserReportConnection:
    edges = [UserReportEdge(node=r, cursor=c) for r, c in zip(rows, cursors, strict=True)]
    return UserReportConnection(edges=edges, page_info=PageInfo(has_next_page=more,
                                                                end_cursor=cursors[-1] if cursors else None))


@strawberry.type
class Query:
    @strawberry.field(description="ADMIN: every admin action in any subgraph, newest first.",
                      extensions=[roles(Role.ADMIN)])
    async def admin_actions(self, info: Info, first: int, after: str | None = None) -> AdminActionConnection:
        async with info.context.read() as repo:
            rows, more = await AdminService(repo, info.context.resources.deps).actions(first, after)
        edges = [AdminActionEdge(node=AdminAction(row=r), cursor=action_cursor(r)) for r in rows]
        return AdminActionConnection(edges=edges, page_info=PageInfo(
            has_next_page=more, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="ADMIN: figures per day from `from` to `to` inclusive (at most 366 days).",
                      extensions=[roles(Role.ADMIN)])
    async def analytics(self, info: Info, from_: Annotated[date, strawberry.argument(name="from")],
                        to: date) -> list[AnalyticsDay]:
        async with info.context.read() as repo:
            days = await AdminService(repo, info.context.resources.deps).analytics(from_, to)
        return [AnalyticsDay(figures=d) for d in days]

    @strawberry.field(description="ADMIN and SUPPORT: the router, every subgraph and each of their stores.",
                      extensions=[roles(*STAFF)])
    async def system_health(self, info: Info) -> list[ServiceHealth]:
        return [ServiceHealth(health=h) for h in await info.context.resources.probe.check()]

    @strawberry.field(description="ADMIN and SUPPORT: the report queue, newest first (default: open and in "
                                  "review).", extensions=[roles(*STAFF)])
    async def user_reports(self, info: Info, first: int, after: str | None = None,
                           statuses: list[ReportStatus] | None = None) -> UserReportConnection:
        async with info.context.read() as repo:
            rows, more = await AdminService(repo, info.context.resources.deps).reports(
                [s.value for s in statuses or []], first, after)
        return _report_page([UserReport(row=r) for r in rows], [report_cursor(r) for r in rows], more)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="ADMIN: forgets the analytics and folds every event the streams still "
                                     "hold (EVENT_STREAM_MAXLEN bounds how far back); how many were folded.",
                         extensions=[roles(Role.ADMIN)])
    async def rebuild_analytics(self, info: Info) -> int:
        res = info.context.resources
        async with info.context.unit_of_work() as repo:
            return await AdminService(repo, res.deps).rebuild(partial(replay, res.redis, res.settings),
                                                              _viewer_id(info))

    @strawberry.mutation(description="Flags another user (optionally one piece of their content) for review.",
                         extensions=[authenticated()])
    async def report_user(self, info: Info, user_id: strawberry.ID, reason: str,
                          content_ref: str | None = None) -> UserReport:
        async with info.context.unit_of_work() as repo:
            row = await AdminService(repo, info.context.resources.deps).report_user(
                _viewer_id(info), str(user_id), reason, content_ref)
        return UserReport(row=row)

    @strawberry.mutation(description="ADMIN and SUPPORT: moves a report on (OPEN -> IN_REVIEW -> RESOLVED or "
                                     "DISMISSED; closing needs a note); recorded as an admin action.",
                         extensions=[roles(*STAFF)])
    async def review_user_report(self, info: Info, report_id: strawberry.ID, status: ReportStatus,
                                 note: str | None = None) -> UserReport:
        async with info.context.unit_of_work() as repo:
            row = await AdminService(repo, info.context.resources.deps).review(
                _viewer_id(info), str(report_id), status.value, note)
        return UserReport(row=row)
