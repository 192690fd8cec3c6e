"""Notification's tables (prefixed: SQLModel's metadata is shared by every subgraph loaded in a process)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index
from sqlmodel import Field, SQLModel

from libs.events import OutboxBase, ProcessedEventBase
from libs.time import utcnow


class NotificationRow(SQLModel, table=True):
    __tablename__ = "notification_notifications"
    __table_args__ = (
        Index("ix_notification_user_created", "user_id", "created_at"),
        Index("ix_notification_user_read", "user_id", "read_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    user_id: str = Field(max_length=64)
    type: str = Field(max_length=40)
    priority: str = Field(max_length=10)  # NORMAL | HIGH | URGENT
    title: str = Field(max_length=300)
    body: str = Field(max_length=2000)
    locale: str = Field(max_length=35)
    data: dict[str, Any] = Field(sa_type=JSON)  # string -> string, also sent as the FCM data payload
    source_event_id: str = Field(max_length=200)
    in_app: bool = True  # False: the owner turned the in-app channel off for this type (push only)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    read_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class PushTokenRow(SQLModel, table=True):
    __tablename__ = "notification_push_tokens"

    token: str = Field(primary_key=True, max_length=4096)
    user_id: str = Field(max_length=64, index=True)
    platform: str = Field(max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class PushDeliveryRow(SQLModel, table=True):
    """One push to one device: written with the notification, sent after the commit by the dispatcher."""

    __tablename__ = "notification_push_deliveries"
    __table_args__ = (Index("ix_notification_push_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    notification_id: str = Field(max_length=36, index=True)
    token: str = Field(max_length=4096)
    status: str = Field(default="PENDING", max_length=10)  # PENDING | SENT | FAILED | DROPPED
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    last_error: str | None = Field(default=None, max_length=500)
    message_name: str | None = Field(default=None, max_length=300)  # FCM's id of the sent message
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class PreferenceRow(SQLModel, table=True):
    __tablename__ = "notification_preferences"

    user_id: str = Field(primary_key=True, max_length=64)
    type: str = Field(primary_key=True, max_length=40)
    channel: str = Field(primary_key=True, max_length=10)  # IN_APP | PUSH
    enabled: bool


class UserSettingsRow(SQLModel, table=True):
    __tablename__ = "notification_user_settings"

    user_id: str = Field(primary_key=True, max_length=64)
    time_zone: str | None = Field(default=None, max_length=64)
    locale: str | None = Field(default=None, max_length=35)  # auth's User.locale, learned from its events
    quiet_start_min: int | None = None  # minutes after local midnight; both set or both None
    quiet_end_min: int | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class NotificationOutbox(OutboxBase, table=True):
    __tablename__ = "notification_outbox"


class NotificationProcessedEvent(ProcessedEventBase, table=True):
    __tablename__ = "notification_processed_events"
