"""The admin subgraph's tables: admin actions, daily analytics, users' reports, processed events.

Table names carry an `admin_` prefix: SQLModel's metadata is process-wide and tests load several subgraphs.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, Index
from sqlmodel import Field, SQLModel

from libs.events import ProcessedEventBase
from libs.time import utcnow


class AdminActionRow(SQLModel, table=True):
    """One admin action in any subgraph; `id` is the event id (or the report review's own id)."""

    __tablename__ = "admin_actions"
    __table_args__ = (Index("ix_admin_actions_at", "at", "id"),)

    id: str = Field(primary_key=True, max_length=200)
    at: datetime = Field(sa_type=DateTime(timezone=True))
    actor_id: str = Field(max_length=64)
    action: str = Field(max_length=60)  # USER_SUSPENDED, ROLE_GRANTED, REPORT_RESOLVED, ...
    target_user_id: str | None = Field(default=None, max_length=64, index=True)
    reason: str | None = Field(default=None, max_length=1000)
    request_id: str | None = Field(default=None, max_length=100)
    source: str = Field(max_length=100)  # the subgraph where it happened


class AnalyticsDayRow(SQLModel, table=True):
    __tablename__ = "admin_analytics_days"

    day: date = Field(primary_key=True, sa_type=Date)
    new_users: int = 0
    measurements: int = 0
    coaching_insights: int = 0
    new_subscriptions: int = 0
    consultations: int = 0


class AnalyticsRevenueRow(SQLModel, table=True):
    """Net revenue of a day in one currency: payments minus refunds, integer minor units."""

    __tablename__ = "admin_analytics_revenue"

    day: date = Field(primary_key=True, sa_type=Date)
    currency: str = Field(primary_key=True, max_length=3)
    amount: int = Field(default=0, sa_type=BigInteger)


class AnalyticsActiveRow(SQLModel, table=True):
    """A user who did something on that day (distinct users per day, whatever the number of events)."""

    __tablename__ = "admin_analytics_active"

    day: date = Field(primary_key=True, sa_type=Date)
    user_id: str = Field(primary_key=True, max_length=64)


class UserReportRow(SQLModel, table=True):
    __tablename__ = "admin_user_reports"
    __table_args__ = (Index("ix_admin_user_reports_status_created", "status", "created_at", "id"),)

    id: str = Field(primary_key=True, max_length=36)
    reporter_id: str = Field(max_length=64)
    target_user_id: str = Field(max_length=64, index=True)
    content_ref: str | None = Field(default=None, max_length=200)  # e.g. "consultation_message/<id>"
    reason: str = Field(max_length=1000)
    status: str = Field(max_length=12)  # OPEN | IN_REVIEW | RESOLVED | DISMISSED
    reviewer_id: str | None = Field(default=None, max_length=64)
    resolution: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class AdminProcessedEvent(ProcessedEventBase, table=True):
    __tablename__ = "admin_processed_events"
