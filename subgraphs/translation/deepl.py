"""Machine-translation drafts from DeepL's API v2 (https://developers.deepl.com/docs): `POST /v2/translate`
with a glossary made by `POST /v2/glossaries`, so the medical terms of our glossary come out one fixed way.

A glossary is made once per language pair and set of entries (its id is kept in the process; a change of the
glossary makes a new one). The output is checked too: a glossary term in the source whose fixed translation is
missing from the draft is reported (`Draft.violations`), and such a draft never enters the memory.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from subgraphs.translation.errors import MachineTranslationFailed

log = logging.getLogger("manpasik.translation.deepl")

# Our locales in DeepL's codes: sources name the language, targets English's variant too (EN alone is
# deprecated as a target); glossaries take the bare language.
SOURCE = {"ko": "KO", "en": "EN", "ja": "JA", "zh-Hans": "ZH"}
TARGET = {"ko": "KO", "en": "EN-US", "ja": "JA", "zh-Hans": "ZH-HANS"}
GLOSSARY = {"ko": "ko", "en": "en", "ja": "ja", "zh-Hans": "zh"}

Entries = Sequence[tuple[str, str]]  # (source term, its fixed translation)


@dataclass(frozen=True, slots=True)
class Draft:
    text: str
    violations: tuple[str, ...]  # glossary terms of the source whose translation the draft lacks


def violations(source_text: str, draft: str, entries: Entries) -> tuple[str, ...]:
    lowered, out = source_text.casefold(), draft.casefold()
    return tuple(src for src, tgt in entries if src.casefold() in lowered and tgt.casefold() not in out)


class _GlossaryGone(MachineTranslationFailed):
    def __init__(self) -> None:
        super().__init__("the glossary is gone")


class DeepL:
    name = "DEEPL"

    def __init__(self, http: httpx.AsyncClient, url: str, api_key: str, timeout_s: float) -> None:
        self.http = http
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"DeepL-Auth-Key {api_key}"}
        self.timeout_s = timeout_s
        self._glossaries: dict[tuple[str, str, str], str] = {}

    async def _post(self, path: str, body: dict[str, object]) -> dict[str, object]:
        try:
            r = await self.http.post(f"{self.url}{path}", json=body, headers=self.headers,
                                     timeout=self.timeout_s)
        except httpx.HTTPError as e:
            raise MachineTranslationFailed(type(e).__name__) from e
        if r.status_code in (403, 401):
            raise MachineTranslationFailed("the API key was refused")
        if r.status_code == 456:
            raise MachineTranslationFailed("the character quota is used up")
        if r.status_code == 429:
            raise MachineTranslationFailed("too many requests")
        if r.status_code == 404 and path == "/v2/translate":
            raise _GlossaryGone()
        if r.status_code >= 300:
            raise MachineTranslationFailed(f"HTTP {r.status_code}")
        data = r.json()
        if not isinstance(data, dict):
            raise MachineTranslationFailed("an answer that is not a JSON object")
        return data

    async def glossary_id(self, source: str, target: str, entries: Entries) -> str | None:
        if not entries:
            return None
        # TSV: a term may hold neither a tab nor a line break (upsertGlossaryTerm refuses them).
        tsv = "\n".join(f"{s}\t{t}" for s, t in entries)
        digest = hashlib.sha256(tsv.encode()).hexdigest()[:16]
        cache_key = (source, target, digest)
        if cache_key not in self._glossaries:
            made = await self._post("/v2/glossaries", {
                "name": f"manpasik-{GLOSSARY[source]}-{GLOSSARY[target]}-{digest}",
                "source_lang": GLOSSARY[source], "target_lang": GLOSSARY[target],
                "entries": tsv, "entries_format": "tsv"})
            glossary = made.get("glossary_id")
            if not isinstance(glossary, str):
                raise MachineTranslationFailed("no glossary_id in the answer")
            self._glossaries[cache_key] = glossary
        return self._glossaries[cache_key]

    async def translate(self, text: str, source: str, target: str, entries: Entries) -> Draft:
        body: dict[str, object] = {"text": [text], "source_lang": SOURCE[source],
                                   "target_lang": TARGET[target], "preserve_formatting": True}
        glossary = await self.glossary_id(source, target, entries)
        if glossary is not None:
            body["glossary_id"] = glossary
        try:
            answer = await self._post("/v2/translate", body)
        except _GlossaryGone:  # deleted on DeepL's side since we made it: make it again, once
            if glossary is None:
                raise MachineTranslationFailed("HTTP 404 (is TRANSLATION_DEEPL_API_URL right?)") from None
            self._glossaries = {k: v for k, v in self._glossaries.items() if v != glossary}
            body["glossary_id"] = await self.glossary_id(source, target, entries)
            answer = await self._post("/v2/translate", body)
        translations = answer.get("translations")
        if not (isinstance(translations, list) and translations and isinstance(translations[0], dict)
                and isinstance(translations[0].get("text"), str)):
            raise MachineTranslationFailed("no translations in the answer")
        draft = str(translations[0]["text"])
        return Draft(draft, violations(text, draft, entries))
