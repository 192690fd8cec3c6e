"""Optional language-model rewording of insight messages through any OpenAI-compatible endpoint.

Off unless COACHING_LLM_URL is set. The rule's template stays the fallback: a slow, failing or odd answer
never blocks or changes an insight's facts (the measured values must survive the rewording and no number may
be invented, or the answer is dropped).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import httpx

from subgraphs.coaching.models import InsightRow
from subgraphs.coaching.settings import CoachingSettings

log = logging.getLogger("manpasik.coaching.llm")

_SYSTEM = ("You rewrite short health-coaching messages for a personal health app. Keep every number and "
           "unit exactly, do not diagnose, do not add medical claims, at most two sentences. "
           "Answer in {language}.")
_LANGUAGE_NAMES = {"ko": "Korean", "en": "English", "ja": "Japanese", "zh-Hans": "Simplified Chinese"}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


class MessageEnricher:
    def __init__(self, own: CoachingSettings, client: httpx.AsyncClient | None = None, *,
                 timeout_s: float = 5.0) -> None:
        if not own.llm_url:
            raise ValueError("COACHING_LLM_URL is not set")
        self.url = own.llm_url.rstrip("/") + "/chat/completions"
        self.model = own.llm_model
        self.api_key = own.llm_api_key
        self.client = client or httpx.AsyncClient(timeout=timeout_s)

    async def reword(self, message: str, language: str, keep: Iterable[str] = ()) -> str:
        """`keep`: the values (e.g. "250") the answer must still contain."""
        headers = {"authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        system = _SYSTEM.format(language=_LANGUAGE_NAMES.get(language, "English"))
        body = {
            "model": self.model, "temperature": 0.3, "max_tokens": 200,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": message},
            ],
        }
        try:
            r = await self.client.post(self.url, json=body, headers=headers)
            r.raise_for_status()
            text = str(r.json()["choices"][0]["message"]["content"]).strip()
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as e:
            log.warning("language model unavailable, keeping the template: %s", e)
            return message
        allowed = set(_NUMBER.findall(message))
        if not text or len(text) > 600 or not set(_NUMBER.findall(text)) <= allowed:
            return message
        if any(value not in text for value in keep):
            return message
        return text

    async def reword_insight(self, row: InsightRow, language: str) -> InsightRow:
        """The insight with its message in `language` reworded; the values it quotes must survive. A text
        that fell back to another language stays as it is: rewording it would be a machine translation."""
        if language not in row.texts or row.texts[language].get("locale", language) != language:
            return row
        message = str(row.texts[language]["message"])
        keep = [v for v in row.params.values()
                if isinstance(v, str) and any(ch.isdigit() for ch in v) and v in message]
        texts = {k: dict(v) for k, v in row.texts.items()}
        texts[language]["message"] = await self.reword(message, language, keep)
        row.texts = texts
        return row

    async def aclose(self) -> None:
        await self.client.aclose()
