"""Insight texts: the catalogue's `coaching.<rule>.title|message` templates (libs/i18n/messages, kept current
by the translation subgraph), rendered at event time for every locale we write, so the app can ask for any.
Coach wording: what was seen and what to do, never a diagnosis.

Template keys are rule ids; trend rules share one template per kind with the measurement type as a parameter
(`coaching.type.<type>` names it). One message is worded in one language throughout: the locale the message's
template resolves to (user -> en -> ko) words its name, group, range and notes too.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from libs.i18n import SUPPORTED, Catalogue
from subgraphs.coaching.rules import Finding


def template_key(rule_id: str) -> tuple[str, str | None]:
    """Trend rule ids end in the measurement type: `trend.rising_average.blood_glucose`."""
    if rule_id.startswith("trend."):
        kind, _, type_ = rule_id.rpartition(".")
        return kind, type_
    return rule_id, None


def _value(text: str) -> Any:
    """A rule's formatted number ("13.9") as a Decimal, so the locale's digits and separators apply."""
    try:
        return Decimal(text) if text and text[0] in "-0123456789" else text
    except InvalidOperation:
        return text


def _optional(catalogue: Catalogue, key: str, locale: str, default: str) -> str:
    return catalogue.localize(key, locale) if catalogue.has(key) else default


def render(f: Finding, measurement_type: str, catalogue: Catalogue,
           taken_at: datetime) -> dict[str, dict[str, str]]:
    """{"ko": {"locale", "title", "message"}, "en": {...}, "ja": {...}, "zh-Hans": {...}} for one finding;
    `taken_at` in the owner's time zone."""
    key, type_ = template_key(f.rule_id)
    type_ = type_ or measurement_type.lower()
    title_key, message_key = f"coaching.{key}.title", f"coaching.{key}.message"
    out: dict[str, dict[str, str]] = {}
    for wanted in SUPPORTED:
        locale = catalogue.locale_of(message_key, wanted) or wanted
        args: dict[str, Any] = {k: _value(v) for k, v in f.params.items()}
        args["takenAt"] = taken_at
        args["name"] = _optional(catalogue, f"coaching.type.{type_}", locale, type_.replace("_", " "))
        if "group" in f.params:
            group = f.params["group"]
            args["group"] = _optional(catalogue, f"coaching.group.{group}", locale, group)
            args["range"] = _range(catalogue, locale, args.get("lower", ""), args.get("upper", ""))
        notes = [catalogue.localize(f"coaching.note.{n}", locale) for n in f.notes
                 if catalogue.has(f"coaching.note.{n}")]
        out[wanted] = {
            "locale": locale,  # the language it is written in (a fallback when `wanted` has no template)
            "title": catalogue.localize(title_key, locale, args),
            "message": " ".join([catalogue.localize(message_key, locale, args), *notes]),
        }
    return out


def _range(catalogue: Catalogue, locale: str, lower: Any, upper: Any) -> str:
    bounds = {"lower": lower, "upper": upper}
    if lower != "" and upper != "":
        return catalogue.localize("coaching.range.between", locale, bounds)
    key = "coaching.range.up_to" if upper != "" else "coaching.range.from"
    return catalogue.localize(key, locale, bounds)
