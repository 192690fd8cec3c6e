"""Coaching's tables: insights, the readings it has seen (its history for trends), profiles, outbox, processed
events.

Table names carry a `coaching_` prefix: SQLModel's metadata is process-wide and tests load several subgraphs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Index
from sqlmodel import Field, SQLModel

from libs.events import OutboxBase, ProcessedEventBase
from libs.time import utcnow


class InsightRow(SQLModel, table=True):
    __tablename__ = "coaching_insights"
    __table_args__ = (Index("ix_coaching_insights_user_created", "user_id", "created_at"),)

    id: str = Field(primary_key=True, max_length=36)
    user_id: str = Field(max_length=64)
    measurement_id: str = Field(max_length=64, index=True)  # the reading that triggered it
    measurement_ids: list[str] = Field(sa_type=JSON)  # every reading behind it (one, or a trend's history)
    measurement_type: str = Field(max_length=40)
    kind: str = Field(max_length=10)  # THRESHOLD | TREND
    severity: str = Field(max_length=10)
    rule_id: str = Field(max_length=100)
    rule_source_key: str = Field(max_length=60)
    rule_source: str = Field(max_length=1000)  # the citation
    ruleset: str = Field(max_length=10)  # KR | INTL
    locale: str = Field(max_length=35)  # the owner's language: when written, or the one chosen since
    texts: dict[str, Any] = Field(sa_type=JSON)  # {"ko": {"title", "message"}, "en", "ja", "zh-Hans": ...}
    params: dict[str, Any] = Field(sa_type=JSON)
    source_event_id: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ReadingRow(SQLModel, table=True):
    __tablename__ = "coaching_readings"
    __table_args__ = (Index("ix_coaching_readings_user_type_taken", "user_id", "type", "taken_at"),)

    id: str = Field(primary_key=True, max_length=64)  # the measurement id
    user_id: str = Field(max_length=64)
    type: str = Field(max_length=40)
    value: float | None = None
    unit: str | None = Field(default=None, max_length=20)
    components: dict[str, Any] = Field(sa_type=JSON)
    taken_at: datetime = Field(sa_type=DateTime(timezone=True))
    context: str | None = Field(default=None, max_length=30)
    loinc: str | None = Field(default=None, max_length=20)  # the method (hs-CRP or CRP) for its range


class CoachingProfileRow(SQLModel, table=True):
    """What the owner told coaching about themself; wins over what an event carries."""

    __tablename__ = "coaching_profiles"

    user_id: str = Field(primary_key=True, max_length=64)
    locale: str | None = Field(default=None, max_length=35)  # auth's User.locale, learned from its events
    region: str | None = Field(default=None, max_length=2)
    time_zone: str | None = Field(default=None, max_length=64)
    height_cm: float | None = None  # for BMI from body weight
    # Health details for reference ranges, kept only while their use is consented (PIPA Art. 23: sensitive
    # data, consent apart from the rest): withdrawing the consent erases them.
    sex_at_birth: str | None = Field(default=None, max_length=6)  # FEMALE | MALE
    birth_date: date | None = Field(default=None, sa_type=Date)
    pregnant: bool | None = None
    health_details_consented_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class CoachingOutbox(OutboxBase, table=True):
    __tablename__ = "coaching_outbox"


class CoachingProcessedEvent(ProcessedEventBase, table=True):
    __tablename__ = "coaching_processed_events"
