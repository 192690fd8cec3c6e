"""The translation subgraph's domain errors (subclasses of the shared vocabulary)."""

from __future__ import annotations

from libs.errors import AppError, BadUserInput
from libs.i18n import SUPPORTED


class UnsupportedLocale(BadUserInput):
    def __init__(self, locale: str, field: str = "locale") -> None:
        super().__init__(f"unknown locale {locale!r}: one of {', '.join(SUPPORTED)} (or a tag such as en-US)",
                         field=field, supported=list(SUPPORTED))


class MalformedTemplate(BadUserInput):
    def __init__(self, problem: str) -> None:
        super().__init__(f"the body is not a template we can render: {problem}", field="body")


class MachineTranslationOff(AppError):
    code = "SERVICE_UNAVAILABLE"

    def __init__(self) -> None:
        super().__init__("no translation memory matches and machine translation is off "
                         "(TRANSLATION_MT_PROVIDER)")


class MachineTranslationFailed(AppError):
    code = "SERVICE_UNAVAILABLE"

    def __init__(self, reason: str) -> None:
        super().__init__(f"the machine-translation provider did not answer: {reason}")
