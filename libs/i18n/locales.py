"""The locales we write messages in, how a user's tag resolves to one, and the fallback chain."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError

SUPPORTED: tuple[str, ...] = ("ko", "en", "ja", "zh-Hans")
FALLBACK: tuple[str, ...] = ("en", "ko")  # after the user's own locale, in this order


@lru_cache(maxsize=512)
def resolve(tag: str | None) -> str | None:
    """The supported locale a BCP 47 tag means (`en-US` -> `en`, `zh-CN` -> `zh-Hans`, `ko_KR` -> `ko`);
    None for a tag that is malformed or names a language we do not write (`zh-TW` is Traditional)."""
    if not tag or len(tag) > 35:
        return None
    try:
        parsed = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    if parsed.language == "zh":
        # CLDR's likely subtags: zh-CN/zh-SG are Simplified, zh-TW/zh-HK Traditional (not written yet).
        script = parsed.script or Locale.parse(f"zh_{parsed.territory}" if parsed.territory else "zh").script
        return "zh-Hans" if script in (None, "Hans") else None
    return parsed.language if parsed.language in SUPPORTED else None


def known(tag: str) -> bool:
    """A tag CLDR knows (`fr-FR` yes, `qq-ZZ` no), whether or not we write its language yet."""
    try:
        Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return False
    return True


def chain(tag: str | None) -> tuple[str, ...]:
    """Where a message is looked for, in order: the user's locale, then en, then ko."""
    first = resolve(tag)
    return tuple(dict.fromkeys([*([first] if first else []), *FALLBACK]))


@lru_cache(maxsize=16)
def babel_locale(code: str) -> Locale:
    return Locale.parse(code.replace("-", "_"))
