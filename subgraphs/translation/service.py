"""The translation rules: template versions (validated as ICU MessageFormat, numbered per key and locale,
announced through the outbox), the glossary, and suggestions from the translation memory or a machine draft.

A suggestion is made in two steps so no provider call happens inside a transaction: `recall` reads the memory
and the glossary, the resolver asks the provider, `remember_draft` writes what it said.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz, process

from libs.errors import BadUserInput
from libs.events.streams import TRANSLATION_STREAM
from libs.i18n import Catalogue, TemplateError, compile_message, resolve
from libs.i18n.catalogue import Template
from libs.i18n.icu import Message
from libs.time import utcnow
from subgraphs.translation.deepl import DeepL, Entries, violations
from subgraphs.translation.errors import MalformedTemplate, UnsupportedLocale
from subgraphs.translation.events import glossary_changed_by, template_changed_by, template_updated
from subgraphs.translation.models import (
    GlossaryTermRow,
    GlossaryTranslationRow,
    MemoryRow,
    TemplateVersionRow,
)
from subgraphs.translation.repository import TranslationRepository

SNAPSHOT_GROUP = "translation-snapshot"
KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)+$")
MAX_BODY = 4000
MAX_TERM = 200
MAX_TEXT = 2000
HUMAN, MACHINE = "HUMAN", "MACHINE"


@dataclass(frozen=True)
class TranslationDeps:
    catalogue: Catalogue  # what ships with the code: the keys that exist and their version 1
    mt: DeepL | None  # None: machine translation is off
    fuzzy_min: float


@dataclass(frozen=True, slots=True)
class TemplateView:
    key: str
    locale: str
    body: str
    version: int
    updated_at: datetime | None  # None: as shipped
    author_id: str | None


@dataclass(frozen=True, slots=True)
class Suggestion:
    text: str
    origin: str  # MEMORY (a person's translation, exact), MEMORY_FUZZY, MACHINE_DRAFT
    score: float  # similarity of the remembered source, 0-100 (100: the same text)
    machine_draft: bool  # a machine wrote it: a draft for a person to review, never a final text
    source_text: str  # the source it translates (for a fuzzy match: the remembered one)
    glossary_violations: tuple[str, ...] = ()


def parse_locale(tag: str | None, field: str = "locale") -> str:
    code = resolve(tag)
    if code is None:
        raise UnsupportedLocale(str(tag), field=field)
    return code


def argument_names(nodes: Sequence[Any]) -> set[str]:
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, dict):
            if not node.get("hash"):
                names.add(str(node["name"]))
            for branch in (node.get("options") or {}).values():
                names |= argument_names(branch)
    return names


def _plain_text(value: str | None, field: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise BadUserInput(f"{field} is required", field=field)
    if len(text) > limit or any(c in text for c in "\t\r\n"):
        raise BadUserInput(f"{field} is one line of at most {limit} characters", field=field)
    return text


class TranslationService:
    def __init__(self, repo: TranslationRepository, deps: TranslationDeps) -> None:
        self.repo = repo
        self.deps = deps

    # -- templates ------------------------------------------------------------------------------------------

    def _shipped(self, key: str) -> list[Template]:
        return [t for t in self.deps.catalogue if t.key == key]

    async def upsert_template(self, actor_id: str, key: str, locale: str, body: str) -> TemplateVersionRow:
        """A new version of a template the system sends; every renderer takes it from the event."""
        code = parse_locale(locale)
        key = key.strip()
        shipped = self._shipped(key)
        if not KEY.match(key) or not shipped:
            raise BadUserInput(f"no message {key!r}: keys are those the system sends (templates query)",
                               field="key")
        if not body.strip() or len(body) > MAX_BODY:
            raise BadUserInput(f"body is 1-{MAX_BODY} characters", field="body")
        try:
            message: Message = compile_message(body)
        except TemplateError as e:
            raise MalformedTemplate(str(e)) from None
        # The values a message is rendered with are its family's (title and body/message get the same).
        family = key.rpartition(".")[0] + "."
        known = set().union(*(argument_names(t.message.nodes) for t in self.deps.catalogue
                              if t.key.startswith(family)))
        unknown = sorted(argument_names(message.nodes) - known)
        if unknown:
            raise BadUserInput(f"{key} knows no value {', '.join(unknown)}; it has: "
                               f"{', '.join(sorted(known))}", field="body")
        await self.repo.lock_template(key, code)
        held = self.deps.catalogue.get(key, code)
        version = max(await self.repo.latest_version(key, code), held.version if held else 0) + 1
        row = TemplateVersionRow(key=key, locale=code, version=version, body=body, author_id=actor_id,
                                 created_at=utcnow())
        self.repo.add_template(row)
        self.repo.add_event(TRANSLATION_STREAM, template_updated(row))
        self.repo.add_event(TRANSLATION_STREAM, template_changed_by(row))
        # A person's translation of the shipped source text: the memory offers it for similar texts later.
        source_code = "en" if code != "en" else "ko"
        source = self.deps.catalogue.get(key, source_code)
        if source is not None:
            self.repo.add_memory(MemoryRow(source_locale=source_code, target_locale=code, origin=HUMAN,
                                           source_text=source.body[:MAX_TEXT], target_text=body))
        return row

    async def templates(self, key_prefix: str, locale: str | None) -> list[TemplateView]:
        """The version every renderer holds now: the newest an admin wrote, else the shipped one."""
        code = parse_locale(locale) if locale is not None else None
        views = {(t.key, t.locale): TemplateView(t.key, t.locale, t.body, t.version, None, None)
                 for t in self.deps.catalogue
                 if t.key.startswith(key_prefix) and (code is None or t.locale == code)}
        for row in await self.repo.latest_templates(key_prefix, code):
            views[(row.key, row.locale)] = TemplateView(row.key, row.locale, row.body, row.version,
                                                        row.created_at, row.author_id)
        return [views[k] for k in sorted(views)]

    async def newest_templates(self) -> list[TemplateVersionRow]:
        return await self.repo.latest_templates("", None)

    # -- glossary -------------------------------------------------------------------------------------------

    async def upsert_glossary_term(self, actor_id: str, source: str, source_locale: str,
                                   translations: Sequence[tuple[str, str]],
                                   ) -> tuple[GlossaryTermRow, list[GlossaryTranslationRow]]:
        term = _plain_text(source, "source", MAX_TERM)
        src = parse_locale(source_locale, "sourceLocale")
        if not translations:
            raise BadUserInput("give at least one translation", field="translations")
        texts: dict[str, str] = {}
        for locale, text in translations:
            code = parse_locale(locale, "translations.locale")
            if code == src or code in texts:
                raise BadUserInput(f"one translation per language other than {src}: {code} repeats",
                                   field="translations.locale")
            texts[code] = _plain_text(text, "translations.text", MAX_TERM)
        row = await self.repo.term_by_source(src, term.casefold())
        if row is None:
            row = GlossaryTermRow(id=str(uuid.uuid4()), source=term, source_key=term.casefold(),
                                  source_locale=src)
            self.repo.add_term(row)
        row.source, row.updated_at = term, utcnow()
        await self.repo.set_translations(row.id, texts)
        self.repo.add_event(TRANSLATION_STREAM, glossary_changed_by(actor_id, row.id))
        return row, await self.repo.translations_of([row.id])

    async def seed_glossary(self) -> int:
        """The measurement names the app already uses (`coaching.type.*`, en -> the locales that word them)
        as glossary terms, so machine drafts say them the app's way from the start. An existing term is never
        changed (an admin's choice stays). Returns how many were added."""
        added = 0
        for en in [t for t in self.deps.catalogue if t.key.startswith("coaching.type.") and t.locale == "en"]:
            if await self.repo.term_by_source("en", en.body.casefold()) is not None:
                continue
            texts = {t.locale: t.body for t in self._shipped(en.key) if t.locale != "en"}
            if not texts:
                continue
            row = GlossaryTermRow(id=str(uuid.uuid4()), source=en.body, source_key=en.body.casefold(),
                                  source_locale="en")
            self.repo.add_term(row)
            await self.repo.set_translations(row.id, texts)
            added += 1
        return added

    async def glossary(self, source_locale: str | None) -> list[GlossaryTermRow]:
        return await self.repo.terms(parse_locale(source_locale, "sourceLocale") if source_locale else None)

    async def translations_of(self, term_ids: Sequence[str]) -> dict[str, list[GlossaryTranslationRow]]:
        out: dict[str, list[GlossaryTranslationRow]] = {t: [] for t in term_ids}
        for row in await self.repo.translations_of(term_ids):
            out[row.term_id].append(row)
        return out

    # -- memory and machine drafts --------------------------------------------------------------------------

    async def recall(self, text: str, source_locale: str, target_locale: str,
                     ) -> tuple[Suggestion | None, Entries]:
        """A person's translation of this text (or of a similar one) from the memory, then a machine draft
        remembered for it; and the glossary of the language pair (for the provider and the check)."""
        if not text.strip() or len(text) > MAX_TEXT:
            raise BadUserInput(f"text is 1-{MAX_TEXT} characters", field="text")
        src, tgt = parse_locale(source_locale, "sourceLocale"), parse_locale(target_locale, "targetLocale")
        if src == tgt:
            raise BadUserInput("source and target language are the same", field="targetLocale")
        entries = await self.repo.glossary_pairs(src, tgt)
        exact = await self.repo.memory_exact(src, tgt, text)
        human = next((m for m in exact if m.origin == HUMAN), None)
        if human is not None:
            return self._suggest(human, "MEMORY", 100.0, text, entries), entries
        people = [m for m in await self.repo.memory_candidates(src, tgt) if m.origin == HUMAN]
        best = process.extractOne(text, [m.source_text for m in people], scorer=fuzz.ratio,
                                  score_cutoff=self.deps.fuzzy_min)
        if best is not None:
            _, score, index = best
            return self._suggest(people[index], "MEMORY_FUZZY", float(score), text, entries), entries
        if exact:  # a machine draft made before: reused, still a draft
            return self._suggest(exact[0], "MACHINE_DRAFT", 100.0, text, entries), entries
        return None, entries

    @staticmethod
    def locales(source_locale: str, target_locale: str) -> tuple[str, str]:
        return parse_locale(source_locale, "sourceLocale"), parse_locale(target_locale, "targetLocale")

    @staticmethod
    def _suggest(row: MemoryRow, origin: str, score: float, text: str, entries: Entries) -> Suggestion:
        return Suggestion(row.target_text, origin, round(score, 1), row.origin == MACHINE, row.source_text,
                          violations(text, row.target_text, entries))

    def remember_draft(self, text: str, source_locale: str, target_locale: str, draft: str,
                       broken: tuple[str, ...]) -> Suggestion:
        """A provider's draft: remembered (as a machine's) unless it breaks the glossary."""
        src, tgt = parse_locale(source_locale, "sourceLocale"), parse_locale(target_locale, "targetLocale")
        if not broken:
            self.repo.add_memory(MemoryRow(source_locale=src, target_locale=tgt, source_text=text,
                                           target_text=draft[:4000], origin=MACHINE))
        return Suggestion(draft, "MACHINE_DRAFT", 100.0, True, text, broken)
