"""The translation subgraph's Strawberry types (never tables). Templates and the glossary are the platform's
texts, not anyone's personal data; who may read and change them is declared on the root fields."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from libs.i18n import SUPPORTED, chain
from libs.i18n.locales import babel_locale
from libs.time import as_utc
from subgraphs.translation import loaders
from subgraphs.translation.context import Info
from subgraphs.translation.models import GlossaryTermRow, TemplateVersionRow
from subgraphs.translation.service import Suggestion, TemplateView


@strawberry.type(description="A language messages are written in.")
class SupportedLocale:
    code: str = strawberry.field(description="ko, en, ja or zh-Hans; a tag resolves to one (en-US: en)")
    name: str = strawberry.field(description="the language's name in itself (CLDR)")
    fallbacks: list[str] = strawberry.field(description="where a message missing in it is looked for")

    @classmethod
    def all(cls) -> list[SupportedLocale]:
        return [cls(code=c, name=babel_locale(c).get_display_name(babel_locale(c)) or c,
                    fallbacks=list(chain(c)[1:])) for c in SUPPORTED]


@strawberry.type(description="A message template: ICU MessageFormat for one key and locale, versioned (1: as "
                             "shipped). Coaching and notification render with the newest version they hold.")
class MessageTemplate:
    key: str
    locale: str
    body: str
    version: int
    updated_at: datetime | None = strawberry.field(description="when an admin wrote it; null: as shipped")

    @classmethod
    def from_view(cls, v: TemplateView) -> MessageTemplate:
        return cls(key=v.key, locale=v.locale, body=v.body, version=v.version,
                   updated_at=as_utc(v.updated_at) if v.updated_at else None)

    @classmethod
    def from_row(cls, row: TemplateVersionRow) -> MessageTemplate:
        return cls(key=row.key, locale=row.locale, body=row.body, version=row.version,
                   updated_at=as_utc(row.created_at))


@strawberry.type
class GlossaryTranslation:
    locale: str
    text: str


@strawberry.type(description="A medical term translated one fixed way per language; machine translation "
                             "keeps to it.")
class GlossaryTerm:
    row: strawberry.Private[GlossaryTermRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field
    def source(self) -> str:
        return self.row.source

    @strawberry.field
    def source_locale(self) -> str:
        return self.row.source_locale

    @strawberry.field
    async def translations(self, info: Info) -> list[GlossaryTranslation]:
        rows = await loaders.term_translations(info.context).load(self.row.id)
        return [GlossaryTranslation(locale=r.locale, text=r.text) for r in rows]


@strawberry.enum
class SuggestionOrigin(Enum):
    MEMORY = "MEMORY"  # a person's translation of the same text
    MEMORY_FUZZY = "MEMORY_FUZZY"  # a person's translation of a similar text
    MACHINE_DRAFT = "MACHINE_DRAFT"  # a machine's: review it before using it


@strawberry.type(description="A translation offered for review: from the memory or a machine draft.")
class TranslationSuggestion:
    text: str
    origin: SuggestionOrigin
    score: float = strawberry.field(description="similarity of the remembered source text, 0-100")
    machine_draft: bool = strawberry.field(description="a machine wrote it: never shown to users as final")
    source_text: str
    glossary_violations: list[str] = strawberry.field(
        description="glossary terms of the text whose fixed translation the suggestion lacks")

    @classmethod
    def from_suggestion(cls, s: Suggestion) -> TranslationSuggestion:
        return cls(text=s.text, origin=SuggestionOrigin(s.origin), score=s.score,
                   machine_draft=s.machine_draft, source_text=s.source_text,
                   glossary_violations=list(s.glossary_violations))


@strawberry.input
class TemplateInput:
    key: str = strawberry.field(description="an existing message, e.g. notification.WELCOME.title")
    locale: str = strawberry.field(description="ko, en, ja or zh-Hans (a tag such as en-US resolves)")
    body: str = strawberry.field(description="ICU MessageFormat using the values the message has")


@strawberry.input
class GlossaryTranslationInput:
    locale: str
    text: str


@strawberry.input
class GlossaryTermInput:
    source: str = strawberry.field(description="the term, one line (matched without regard to case)")
    source_locale: str
    translations: list[GlossaryTranslationInput] = strawberry.field(
        description="its fixed translation per language; languages not named keep theirs")
