"""Input rules shared by the account flows; each failure names the GraphQL field."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from libs.errors import BadUserInput
from libs.i18n import known

# A BCP 47 subset: ko, ko-KR, zh-Hant-TW.
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")  # E.164
DEFAULT_LOCALE = "ko-KR"


def normalize_email(email: str | None, *, field: str = "email") -> str:
    if not email or not email.strip():
        raise BadUserInput("email is required", field=field)
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as e:
        raise BadUserInput(f"invalid email: {e}", field=field)
    return result.normalized.lower()


def display_name(value: str | None, *, field: str = "displayName") -> str:
    name = (value or "").strip()
    if not name:
        raise BadUserInput("displayName is required", field=field)
    if len(name) > 100:
        raise BadUserInput("displayName must have at most 100 characters", field=field)
    return name


def locale(value: str | None, *, field: str = "locale") -> str:
    if value is None or not value.strip():
        return DEFAULT_LOCALE
    if not _LOCALE.match(value.strip()):
        raise BadUserInput("locale must be a language tag such as ko-KR", field=field)
    if not known(value.strip()):
        raise BadUserInput(f"unknown locale {value.strip()!r}: a language tag such as ko-KR or en-US",
                           field=field)
    return value.strip()


def phone(value: str | None, *, field: str = "phone") -> str:
    if not value or not _PHONE.match(value.strip()):
        raise BadUserInput("phone must be in E.164 form, e.g. +821012345678", field=field)
    return value.strip()


def required(value: str | None, field: str) -> str:
    if value is None or not value.strip():
        raise BadUserInput(f"{field} is required", field=field)
    return value.strip()
