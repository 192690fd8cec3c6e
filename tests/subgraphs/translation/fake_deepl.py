# ruff: noqa: E501  (a phrasebook reads better unwrapped)
"""A local stand-in for DeepL's API v2 (https://developers.deepl.com/docs/api-reference): `POST /v2/glossaries`
and `POST /v2/translate` with `Authorization: DeepL-Auth-Key <key>`, JSON bodies, its status codes (403 for a
wrong key, 400 for a glossary without source_lang, 404 for an unknown glossary).

Its "translation" is a phrasebook: a glossary's entries first (as DeepL applies them), then its own choice
of words, the rest left as it is. `honour_glossary = False` plays a provider that ignores the glossary.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# The fake's own word choices, (source, target) -> phrase -> translation.
PHRASES: dict[tuple[str, str], dict[str, str]] = {
    ("EN", "JA"): {"blood glucose": "血糖", " is high": "が高いです", "your ": "あなたの", "recheck": "再検査"},
    ("EN", "KO"): {"blood glucose": "혈중 포도당", " is high": "이 높습니다", "your": "당신의", "recheck": "재검사"},
}


class FakeDeepL:
    def __init__(self, api_key: str = "test-key:fx") -> None:
        self.api_key = api_key
        self.glossaries: dict[str, dict[str, Any]] = {}
        self.translate_calls: list[dict[str, Any]] = []
        self.honour_glossary = True

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"DeepL-Auth-Key {self.api_key}"

    async def create_glossary(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return JSONResponse({"message": "Forbidden"}, status_code=403)
        body = await request.json()
        if body.get("entries_format") != "tsv" or not body.get("entries"):
            return JSONResponse({"message": "Bad request"}, status_code=400)
        entries = dict(line.split("\t", 1) for line in body["entries"].splitlines() if line)
        glossary_id = str(uuid.uuid4())
        self.glossaries[glossary_id] = {"source_lang": body["source_lang"], "target_lang": body["target_lang"],
                                        "entries": entries, "name": body["name"]}
        return JSONResponse({"glossary_id": glossary_id, "name": body["name"], "ready": True,
                             "source_lang": body["source_lang"], "target_lang": body["target_lang"],
                             "creation_time": "2026-12-07T10:00:00.000Z", "entry_count": len(entries)},
                            status_code=201)

    async def translate(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return JSONResponse({"message": "Forbidden"}, status_code=403)
        body = await request.json()
        self.translate_calls.append(body)
        source, target = str(body.get("source_lang", "")).upper(), str(body["target_lang"]).upper()
        entries: dict[str, str] = {}
        if body.get("glossary_id"):
            if not source:
                return JSONResponse({"message": "source_lang is required with a glossary"}, status_code=400)
            glossary = self.glossaries.get(body["glossary_id"])
            if glossary is None:
                return JSONResponse({"message": "Glossary not found"}, status_code=404)
            entries = glossary["entries"] if self.honour_glossary else {}
        phrases = {**PHRASES.get((source, target.split("-")[0]), {}), **entries}
        out = []
        for text in body["text"]:
            for phrase in sorted(phrases, key=len, reverse=True):  # the longest match first
                text = re.sub(re.escape(phrase), phrases[phrase], text, flags=re.IGNORECASE)
            out.append({"detected_source_language": source or "EN", "text": text})
        return JSONResponse({"translations": out})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v2/glossaries", self.create_glossary, methods=["POST"]),
                                 Route("/v2/translate", self.translate, methods=["POST"])])
