"""The admin subgraph's Strawberry types (never tables). Every field is for the console: ADMIN, and SUPPORT
where the contract says it may read (admin.graphql); a user's own report is theirs to see."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any, NewType

import strawberry

from libs.auth import Role
from libs.auth.fields import owner_or_roles, roles
from subgraphs.admin import loaders
from subgraphs.admin.context import Info
from subgraphs.admin.health import Health
from subgraphs.admin.models import AdminActionRow, UserReportRow
from subgraphs.admin.service import DayFigures

STAFF = (Role.ADMIN, Role.SUPPORT)

# A JSON object as it is (strawberry's own JSON scalar carries @specifiedBy, which composition tools treat
# differently); here it holds {currency: minor units}.
JSON = strawberry.scalar(NewType("JSON", object), description="A JSON value, as it is.",
                         serialize=lambda value: value, parse_value=lambda value: value)


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> User:
        return cls(id=id)

    @strawberry.field(description="reports about this user still open or in review (ADMIN and SUPPORT)",
                      extensions=[roles(*STAFF)])
    async def open_reports(self, info: Info) -> int:
        return await loaders.open_report_counts(info.context).load(str(self.id))


@strawberry.federation.type(shareable=True)
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="An admin action in any subgraph: who did what to whom, why, when, in which "
                             "request.")
class AdminAction:
    row: strawberry.Private[AdminActionRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field
    def at(self) -> datetime:
        return self.row.at

    @strawberry.field(description="the administrator (their email comes from auth)")
    def actor(self) -> User:
        return User(id=strawberry.ID(self.row.actor_id))

    @strawberry.field(description="USER_SUSPENDED, USER_REINSTATED, ROLE_GRANTED, REPORT_IN_REVIEW, "
                                  "REPORT_RESOLVED, REPORT_DISMISSED, ANALYTICS_REBUILT, and other "
                                  "subgraphs' staff actions such as BACKUP_STARTED, "
                                  "INTEGRITY_CHECK_STARTED, ENCRYPTION_KEY_ROTATED")
    def action(self) -> str:
        return self.row.action

    @strawberry.field
    def target_user_id(self) -> strawberry.ID | None:
        return None if self.row.target_user_id is None else strawberry.ID(self.row.target_user_id)

    @strawberry.field(description="why (for a granted role: the role)")
    def reason(self) -> str | None:
        return self.row.reason

    @strawberry.field(description="the request that did it (its log lines carry the same id)")
    def request_id(self) -> str | None:
        return self.row.request_id

    @strawberry.field(description="the subgraph where it happened")
    def source(self) -> str:
        return self.row.source


@strawberry.type
class AdminActionEdge:
    node: AdminAction
    cursor: str


@strawberry.type
class AdminActionConnection:
    edges: list[AdminActionEdge]
    page_info: PageInfo


@strawberry.type(description="One day's figures, folded from the event streams.")
class AnalyticsDay:
    figures: strawberry.Private[DayFigures]

    @strawberry.field(name="date", description="the calendar day in the platform's time zone")
    def day(self) -> date:
        return self.figures.day

    @strawberry.field(description="distinct people who signed up, measured, paid, booked or wrote that day")
    def active_users(self) -> int:
        return self.figures.active_users

    @strawberry.field
    def new_users(self) -> int:
        return self.figures.new_users

    @strawberry.field
    def measurements_recorded(self) -> int:
        return self.figures.measurements

    @strawberry.field
    def coaching_insights(self) -> int:
        return self.figures.coaching_insights

    @strawberry.field(description="subscriptions activated")
    def new_subscriptions(self) -> int:
        return self.figures.new_subscriptions

    @strawberry.field(description='net revenue per ISO 4217 currency in integer minor units (payments minus '
                                  'refunds): {"KRW": 19800}')
    def revenue(self) -> JSON:  # type: ignore[valid-type]
        revenue: dict[str, Any] = dict(self.figures.revenue)
        return revenue

    @strawberry.field(description="consultations booked")
    def consultations(self) -> int:
        return self.figures.consultations


@strawberry.enum
class HealthStatus(Enum):
    UP = "UP"
    DEGRADED = "DEGRADED"
    DOWN = "DOWN"


@strawberry.type(description="A service (router, subgraph) or one of a subgraph's stores (`auth/database`).")
class ServiceHealth:
    health: strawberry.Private[Health]

    @strawberry.field
    def service(self) -> str:
        return self.health.service

    @strawberry.field
    def status(self) -> HealthStatus:
        return HealthStatus(self.health.status)

    @strawberry.field(description="the /ready round trip; null when it did not answer")
    def latency_ms(self) -> float | None:
        return self.health.latency_ms

    @strawberry.field
    def checked_at(self) -> datetime:
        return self.health.checked_at

    @strawberry.field
    def detail(self) -> str | None:
        return self.health.detail


@strawberry.enum
class ReportStatus(Enum):
    OPEN = "OPEN"
    IN_REVIEW = "IN_REVIEW"
    RESOLVED = "RESOLVED"
    DISMISSED = "DISMISSED"


def _reporter(report: UserReport) -> str:
    return report.row.reporter_id


@strawberry.type(description="A user's report about another user or their content, and its review.")
class UserReport:
    row: strawberry.Private[UserReportRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(extensions=[owner_or_roles(*STAFF, owner=_reporter)])
    def reported_user_id(self) -> strawberry.ID:
        return strawberry.ID(self.row.target_user_id)

    @strawberry.field(extensions=[owner_or_roles(*STAFF, owner=_reporter)])
    def content_ref(self) -> str | None:
        return self.row.content_ref

    @strawberry.field(extensions=[owner_or_roles(*STAFF, owner=_reporter)])
    def reason(self) -> str:
        return self.row.reason

    @strawberry.field(extensions=[owner_or_roles(*STAFF, owner=_reporter)])
    def status(self) -> ReportStatus:
        return ReportStatus(self.row.status)

    @strawberry.field(description="who reported (ADMIN and SUPPORT)", extensions=[roles(*STAFF)])
    def reporter_id(self) -> strawberry.ID:
        return strawberry.ID(self.row.reporter_id)

    @strawberry.field(extensions=[roles(*STAFF)])
    def reviewer_id(self) -> strawberry.ID | None:
        return None if self.row.reviewer_id is None else strawberry.ID(self.row.reviewer_id)

    @strawberry.field(extensions=[owner_or_roles(*STAFF, owner=_reporter)])
    def resolution(self) -> str | None:
        return self.row.resolution

    @strawberry.field(extensions=[owner_or_roles(*STAFF, owner=_reporter)])
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(extensions=[owner_or_roles(*STAFF, owner=_reporter)])
    def updated_at(self) -> datetime:
        return self.row.updated_at


@strawberry.type
class UserReportEdge:
    node: UserReport
    cursor: str


@strawberry.type
class UserReportConnection:
    edges: list[UserReportEdge]
    page_info: PageInfo
