"""Translation's tables: template versions, glossary terms and their translations, the translation memory,
outbox, processed events (prefixed: SQLModel's metadata is shared by every subgraph loaded in a process)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from libs.events import OutboxBase, ProcessedEventBase
from libs.time import utcnow


class TemplateVersionRow(SQLModel, table=True):
    """Every version of a template an admin wrote (version 1 is the one shipped in libs/i18n/messages)."""

    __tablename__ = "translation_template_versions"

    key: str = Field(primary_key=True, max_length=200)
    locale: str = Field(primary_key=True, max_length=10)  # one of libs.i18n.SUPPORTED
    version: int = Field(primary_key=True)
    body: str = Field(sa_type=Text)
    author_id: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class GlossaryTermRow(SQLModel, table=True):
    """A medical term translated one fixed way per language; `source_key` (lower-cased) keeps it unique."""

    __tablename__ = "translation_glossary_terms"
    __table_args__ = (UniqueConstraint("source_locale", "source_key", name="uq_translation_glossary_source"),)

    id: str = Field(primary_key=True, max_length=36)
    source: str = Field(max_length=200)
    source_key: str = Field(max_length=200)
    source_locale: str = Field(max_length=10)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class GlossaryTranslationRow(SQLModel, table=True):
    __tablename__ = "translation_glossary_translations"

    term_id: str = Field(primary_key=True, max_length=36, foreign_key="translation_glossary_terms.id")
    locale: str = Field(primary_key=True, max_length=10)
    text: str = Field(max_length=200)


class MemoryRow(SQLModel, table=True):
    """One past translation: a person's (HUMAN, from templates) or a machine draft (MACHINE, never final)."""

    __tablename__ = "translation_memory"
    __table_args__ = (Index("ix_translation_memory_pair", "source_locale", "target_locale"),)

    id: int | None = Field(default=None, primary_key=True)
    source_locale: str = Field(max_length=10)
    target_locale: str = Field(max_length=10)
    source_text: str = Field(max_length=2000)
    target_text: str = Field(max_length=4000)
    origin: str = Field(max_length=10)  # HUMAN | MACHINE
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class TranslationOutbox(OutboxBase, table=True):
    __tablename__ = "translation_outbox"


class TranslationProcessedEvent(ProcessedEventBase, table=True):
    __tablename__ = "translation_processed_events"
