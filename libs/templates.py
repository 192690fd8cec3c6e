"""Text overrides from the translation subgraph (`translation.template_updated`), kept by each subgraph that
writes messages, and the lenient formatting both built-in texts and overrides go through.

    class CoachingTemplateRow(TemplateOverrideBase, table=True):
        __tablename__ = "coaching_templates"

    class CoachingRepository(TemplateOverrides, ...):
        template_model = CoachingTemplateRow

    update = template_update(event, prefix="coaching.")   # None: another subgraph's text
    if update: await repo.save_template(update)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from string import Formatter
from typing import Any, ClassVar

from sqlalchemy import DateTime, select
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.events.consumer import DropEvent
from libs.events.envelope import CloudEvent
from libs.time import utcnow

# (key, language) -> body
Overrides = Mapping[tuple[str, str], str]


class TemplateOverrideBase(SQLModel):
    """Mixin for a subgraph's override table (give it a `__tablename__`); newest version per key wins."""

    key: str = Field(primary_key=True, max_length=200)
    language: str = Field(primary_key=True, max_length=10)
    body: str = Field(max_length=2000)
    version: int
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class TemplateUpdate:
    key: str
    language: str  # the locale's language subtag: overrides are per language
    body: str
    version: int


def template_update(event: CloudEvent, *, prefix: str) -> TemplateUpdate | None:
    """The override an event carries for keys under `prefix`; None for another subgraph's text.
    Raises DropEvent for a malformed one (retrying would not help)."""
    d = event.data
    key, locale, body, version = d.get("key"), d.get("locale"), d.get("body"), d.get("version")
    if not (isinstance(key, str) and key.startswith(prefix)):
        return None
    if not (isinstance(locale, str) and locale and isinstance(body, str) and body
            and isinstance(version, int)):
        raise DropEvent("template events need key, locale, body and an integer version")
    return TemplateUpdate(key[:200], locale.lower().split("-")[0][:10], body[:2000], version)


class TemplateOverrides:
    """Mix into a repository that has `session`; name the subgraph's table in `template_model`."""

    session: AsyncSession
    template_model: ClassVar[type[TemplateOverrideBase]]

    async def template_overrides(self, keys: Sequence[str]) -> dict[tuple[str, str], str]:
        if not keys:
            return {}
        m = self.template_model
        stmt = select(m).where(col(m.key).in_(keys))
        return {(r.key, r.language): r.body for r in (await self.session.execute(stmt)).scalars()}

    async def save_template(self, update: TemplateUpdate) -> bool:
        """Keeps the newest version only (events may arrive out of order); True when stored."""
        row = await self.session.get(self.template_model, (update.key, update.language))
        if row is not None and row.version >= update.version:
            return False
        if row is None:
            self.session.add(self.template_model(key=update.key, language=update.language, body=update.body,
                                                 version=update.version))
        else:
            row.body, row.version, row.updated_at = update.body, update.version, utcnow()
        return True


class _Lenient(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""  # a placeholder the event left out renders empty rather than failing the message


def format_text(template: str, fallback: str, values: Mapping[str, Any]) -> str:
    """`template` with `{placeholders}` filled; a malformed template (an override) falls back to the
    built-in `fallback` text."""
    lenient = _Lenient({k: str(v) for k, v in values.items()})
    try:
        return Formatter().vformat(template, (), lenient).strip()
    except (ValueError, IndexError, AttributeError, KeyError):
        return Formatter().vformat(fallback, (), lenient).strip()
