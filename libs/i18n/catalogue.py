"""The templates a process renders with: those shipped in `messages/<locale>.json` (version 1), replaced by
newer versions from the translation subgraph as its events arrive (`feed.TemplateFeed`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from libs.i18n.icu import Message, TemplateError, compile_message, format_message
from libs.i18n.locales import SUPPORTED, chain

MESSAGES = Path(__file__).parent / "messages"
SEED_VERSION = 1


class UnknownMessage(KeyError):
    """No template for this key in any locale of the chain: a programming error, not a user's."""


@dataclass(frozen=True, slots=True)
class Template:
    key: str
    locale: str  # one of SUPPORTED
    body: str
    version: int
    message: Message


@cache
def _seed() -> tuple[Template, ...]:
    out = []
    for locale in SUPPORTED:
        path = MESSAGES / f"{locale}.json"
        if path.is_file():
            for key, body in json.loads(path.read_text(encoding="utf-8")).items():
                out.append(Template(key, locale, body, SEED_VERSION, compile_message(body)))
    return tuple(out)


def seed_templates() -> tuple[Template, ...]:
    """What ships with the code: every message the system sends, in ko and en, and in ja and zh-Hans where
    a reviewed text exists (no machine draft)."""
    return _seed()


class Catalogue:
    def __init__(self, templates: Iterable[Template] = ()) -> None:
        self._templates: dict[tuple[str, str], Template] = {(t.key, t.locale): t for t in templates}

    @classmethod
    def seeded(cls) -> Catalogue:
        return cls(seed_templates())

    def apply(self, key: str, locale: str, body: str, version: int) -> bool:
        """Holds this version when it is newer than the one held; True when it was taken. Raises
        TemplateError for a body that is not ICU MessageFormat or a locale we do not write."""
        if locale not in SUPPORTED:
            raise TemplateError(f"unsupported locale {locale!r}")
        held = self._templates.get((key, locale))
        if held is not None and held.version >= version:
            return False
        self._templates[(key, locale)] = Template(key, locale, body, version, compile_message(body))
        return True

    def get(self, key: str, locale: str) -> Template | None:
        """The template held for exactly this supported locale."""
        return self._templates.get((key, locale))

    def __iter__(self) -> Iterator[Template]:
        return iter(list(self._templates.values()))

    def has(self, key: str) -> bool:
        return any((key, locale) in self._templates for locale in SUPPORTED)

    def localize(self, key: str, locale: str | None, args: Mapping[str, Any] | None = None) -> str:
        """`key` rendered for the user's locale, or the first of its fallbacks (en, ko) with a template; a
        template that fails to render (an admin's text naming a value of the wrong kind) falls back too."""
        found = False
        for code in chain(locale):
            template = self._templates.get((key, code))
            if template is None:
                continue
            found = True
            try:
                return format_message(template.message, code, args or {})
            except (ValueError, TypeError, ArithmeticError, KeyError):
                continue
        if found:
            raise TemplateError(f"no template of {key!r} renders with these values")
        raise UnknownMessage(key)

    def locale_of(self, key: str, locale: str | None) -> str | None:
        """The locale `localize` answers in (None: no template in the chain)."""
        return next((c for c in chain(locale) if (key, c) in self._templates), None)


_DEFAULT: Catalogue | None = None


def default_catalogue() -> Catalogue:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Catalogue.seeded()
    return _DEFAULT


def localize(key: str, locale: str | None, args: Mapping[str, Any] | None = None) -> str:
    """`Catalogue.localize` on the process-wide catalogue (the shipped templates, plus what a feed on it
    applied)."""
    return default_catalogue().localize(key, locale, args)
