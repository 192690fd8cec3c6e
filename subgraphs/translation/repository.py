"""Every query of the translation subgraph."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlmodel import col

from libs.db.uow import SessionRepository
from libs.events.ledger import EventLedger
from subgraphs.translation.models import (
    GlossaryTermRow,
    GlossaryTranslationRow,
    MemoryRow,
    TemplateVersionRow,
    TranslationOutbox,
    TranslationProcessedEvent,
)

MEMORY_CANDIDATES = 500  # the newest entries of a language pair a fuzzy match is looked for in


class TranslationRepository(SessionRepository, EventLedger):
    processed_model, outbox_model = TranslationProcessedEvent, TranslationOutbox

    # -- templates ------------------------------------------------------------------------------------------

    async def latest_version(self, key: str, locale: str) -> int:
        stmt = select(func.max(TemplateVersionRow.version)).where(
            col(TemplateVersionRow.key) == key, col(TemplateVersionRow.locale) == locale)
        return int((await self.session.execute(stmt)).scalar() or 0)

    async def lock_template(self, key: str, locale: str) -> None:
        """Serialises writers of one (key, locale) so two admins never take the same version number
        (PostgreSQL: a transaction advisory lock; SQLite in dev has one writer at a time anyway)."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"{key}|{locale}"))))

    def add_template(self, row: TemplateVersionRow) -> None:
        self.session.add(row)

    async def latest_templates(self, key_prefix: str, locale: str | None) -> list[TemplateVersionRow]:
        """The newest version of every (key, locale) an admin wrote, keys starting with `key_prefix`."""
        newest = (select(col(TemplateVersionRow.key), col(TemplateVersionRow.locale),
                         func.max(TemplateVersionRow.version).label("version"))
                  .where(col(TemplateVersionRow.key).startswith(key_prefix, autoescape=True))
                  .group_by(col(TemplateVersionRow.key), col(TemplateVersionRow.locale)))
        if locale is not None:
            newest = newest.where(col(TemplateVersionRow.locale) == locale)
        sub = newest.subquery()
        stmt = select(TemplateVersionRow).join(sub, (col(TemplateVersionRow.key) == sub.c.key)
                                               & (col(TemplateVersionRow.locale) == sub.c.locale)
                                               & (col(TemplateVersionRow.version) == sub.c.version))
        return list((await self.session.execute(stmt)).scalars())

    # -- glossary -------------------------------------------------------------------------------------------

    async def term_by_source(self, source_locale: str, source_key: str) -> GlossaryTermRow | None:
        stmt = select(GlossaryTermRow).where(col(GlossaryTermRow.source_locale) == source_locale,
                                             col(GlossaryTermRow.source_key) == source_key)
        return (await self.session.execute(stmt)).scalars().first()

    def add_term(self, row: GlossaryTermRow) -> None:
        self.session.add(row)

    async def set_translations(self, term_id: str, texts: dict[str, str]) -> None:
        """Replaces the given locales' translations of a term (the others stay)."""
        await self.session.execute(delete(GlossaryTranslationRow).where(
            col(GlossaryTranslationRow.term_id) == term_id, col(GlossaryTranslationRow.locale).in_(texts)))
        self.session.add_all([GlossaryTranslationRow(term_id=term_id, locale=loc, text=text)
                              for loc, text in texts.items()])
        await self.session.flush()

    async def translations_of(self, term_ids: Sequence[str]) -> list[GlossaryTranslationRow]:
        stmt = (select(GlossaryTranslationRow).where(col(GlossaryTranslationRow.term_id).in_(term_ids))
                .order_by(col(GlossaryTranslationRow.locale)))
        return list((await self.session.execute(stmt)).scalars())

    async def terms(self, source_locale: str | None = None) -> list[GlossaryTermRow]:
        stmt = select(GlossaryTermRow).order_by(col(GlossaryTermRow.source_key))
        if source_locale is not None:
            stmt = stmt.where(col(GlossaryTermRow.source_locale) == source_locale)
        return list((await self.session.execute(stmt)).scalars())

    async def glossary_pairs(self, source_locale: str, target_locale: str) -> list[tuple[str, str]]:
        """(source term, its fixed translation) for one language pair."""
        stmt = (select(col(GlossaryTermRow.source), col(GlossaryTranslationRow.text))
                .join(GlossaryTranslationRow, col(GlossaryTranslationRow.term_id) == col(GlossaryTermRow.id))
                .where(col(GlossaryTermRow.source_locale) == source_locale,
                       col(GlossaryTranslationRow.locale) == target_locale)
                .order_by(col(GlossaryTermRow.source_key)))
        return [(s, t) for s, t in (await self.session.execute(stmt)).all()]

    # -- translation memory ---------------------------------------------------------------------------------

    async def memory_exact(self, source_locale: str, target_locale: str, text: str) -> list[MemoryRow]:
        stmt = (select(MemoryRow).where(col(MemoryRow.source_locale) == source_locale,
                                        col(MemoryRow.target_locale) == target_locale,
                                        col(MemoryRow.source_text) == text)
                .order_by(col(MemoryRow.created_at).desc()))
        return list((await self.session.execute(stmt)).scalars())

    async def memory_candidates(self, source_locale: str, target_locale: str) -> list[MemoryRow]:
        stmt = (select(MemoryRow).where(col(MemoryRow.source_locale) == source_locale,
                                        col(MemoryRow.target_locale) == target_locale)
                .order_by(col(MemoryRow.created_at).desc()).limit(MEMORY_CANDIDATES))
        return list((await self.session.execute(stmt)).scalars())

    def add_memory(self, row: MemoryRow) -> None:
        self.session.add(row)
