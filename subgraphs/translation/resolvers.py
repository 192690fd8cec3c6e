"""The translation subgraph's root fields. Anyone may list the locales; templates, the glossary and
suggestions are for staff; only ADMIN changes what users read."""

from __future__ import annotations

import strawberry

from libs.auth import Role, require_viewer
from libs.auth.fields import roles
from subgraphs.translation.context import Info
from subgraphs.translation.errors import MachineTranslationOff
from subgraphs.translation.service import TranslationService
from subgraphs.translation.types import (
    GlossaryTerm,
    GlossaryTermInput,
    MessageTemplate,
    SupportedLocale,
    TemplateInput,
    TranslationSuggestion,
)

STAFF = (Role.ADMIN, Role.SUPPORT)


def _viewer_id(info: Info) -> str:
    """The caller, in a field whose permission already requires one."""
    return str(require_viewer(info.context.viewer).user_id)


@strawberry.type
class Query:
    @strawberry.field(description="The languages messages are written in, with their fallbacks.")
    def supported_locales(self) -> list[SupportedLocale]:
        return SupportedLocale.all()

    @strawberry.field(description="ADMIN, SUPPORT: the templates renderers hold now, keys starting with "
                                  "`keyPrefix`, in one locale or all.", extensions=[roles(*STAFF)])
    async def message_templates(self, info: Info, key_prefix: str = "",
                                locale: str | None = None) -> list[MessageTemplate]:
        async with info.context.read() as repo:
            views = await TranslationService(repo, info.context.resources.deps).templates(key_prefix, locale)
        return [MessageTemplate.from_view(v) for v in views]

    @strawberry.field(description="ADMIN, SUPPORT: the glossary of medical terms.",
                      extensions=[roles(*STAFF)])
    async def glossary(self, info: Info, source_locale: str | None = None) -> list[GlossaryTerm]:
        async with info.context.read() as repo:
            rows = await TranslationService(repo, info.context.resources.deps).glossary(source_locale)
        return [GlossaryTerm(row=r) for r in rows]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="ADMIN: a new version of a message template; coaching and notification "
                                     "word their next messages with it (no restart).",
                         extensions=[roles(Role.ADMIN)])
    async def upsert_template(self, info: Info, input: TemplateInput) -> MessageTemplate:
        async with info.context.unit_of_work() as repo:
            row = await TranslationService(repo, info.context.resources.deps).upsert_template(
                _viewer_id(info), input.key, input.locale, input.body)
        return MessageTemplate.from_row(row)

    @strawberry.mutation(description="ADMIN: a glossary term and its fixed translations.",
                         extensions=[roles(Role.ADMIN)])
    async def upsert_glossary_term(self, info: Info, input: GlossaryTermInput) -> GlossaryTerm:
        async with info.context.unit_of_work() as repo:
            row, _ = await TranslationService(repo, info.context.resources.deps).upsert_glossary_term(
                _viewer_id(info), input.source, input.source_locale,
                [(t.locale, t.text) for t in input.translations])
        return GlossaryTerm(row=row)

    @strawberry.mutation(description="ADMIN: a translation to review: a person's from the memory (exact or "
                                     "similar), else a machine draft (glossary enforced; off by default).",
                         extensions=[roles(Role.ADMIN)])
    async def suggest_translation(self, info: Info, text: str, source_locale: str,
                                  target_locale: str) -> TranslationSuggestion:
        deps = info.context.resources.deps
        async with info.context.read() as repo:
            found, glossary = await TranslationService(repo, deps).recall(text, source_locale, target_locale)
        if found is not None:
            return TranslationSuggestion.from_suggestion(found)
        if deps.mt is None:
            raise MachineTranslationOff()
        src, tgt = TranslationService.locales(source_locale, target_locale)
        draft = await deps.mt.translate(text, src, tgt, glossary)  # outside any transaction
        async with info.context.unit_of_work() as repo:
            made = TranslationService(repo, deps).remember_draft(text, src, tgt, draft.text, draft.violations)
        return TranslationSuggestion.from_suggestion(made)
