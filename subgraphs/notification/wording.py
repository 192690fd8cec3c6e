"""Notification texts: the catalogue's `notification.<TYPE>.title|body` templates (libs/i18n/messages, kept
current by the translation subgraph), rendered when the event is handled. Events bring the facts; the
templates frame them. A value an event leaves out takes the catalogue's `notification.default.<name>`, in the
language the message resolves to, so one sentence is never half in another language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from libs.i18n import Catalogue
from subgraphs.notification.domain import NotificationType

# Values that have a worded default ("your doctor") when an event leaves them out.
DEFAULTED = ("doctorName", "displayName", "plan", "scheduledAt")


def keys(type_: NotificationType) -> tuple[str, str]:
    return f"notification.{type_.value}.title", f"notification.{type_.value}.body"


def render(catalogue: Catalogue, type_: NotificationType, locale: str | None,
           params: Mapping[str, Any]) -> tuple[str, str]:
    """(title, body) for the owner's locale, through its fallbacks, both in the same language."""
    title_key, body_key = keys(type_)
    if type_ is NotificationType.COACHING_INSIGHT and not params.get("message"):
        title_key, body_key = "notification.insight.title", "notification.insight.message"
    code = catalogue.locale_of(body_key, locale) or "en"
    values: dict[str, Any] = {name: catalogue.localize(f"notification.default.{name}", code)
                              for name in DEFAULTED if catalogue.get(f"notification.default.{name}", code)}
    values |= {k: v for k, v in params.items() if v is not None and v != ""}
    return catalogue.localize(title_key, code, values), catalogue.localize(body_key, code, values)
