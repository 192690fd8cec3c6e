"""Every message a person reads, in their language: ICU MessageFormat templates per key and locale, rendered
in-process with CLDR data (Babel), kept current by the translation subgraph's events.

    catalogue = Catalogue.seeded()                  # the templates shipped in libs/i18n/messages/*.json
    catalogue.localize("notification.WELCOME.title", "en-US", {"displayName": "Ada"})
    localize(key, locale, args)                     # the same on the process-wide default catalogue

    feed = TemplateFeed(redis, settings, catalogue)  # in a subgraph's workers: snapshot, then the stream
    await feed.sync(); await feed.run(stop)

Locales (`locales`): ko, en, ja, zh-Hans; a tag resolves to one of them (`en-US` -> `en`, `zh-CN` ->
`zh-Hans`) and falls back user locale -> en -> ko. A template is versioned: an admin's `upsertTemplate` in the
translation subgraph publishes `translation.template_updated` with a higher version, which every feed applies
(older versions are ignored, whatever the order they arrive in).
"""

from libs.i18n.catalogue import Catalogue, Template, UnknownMessage, localize
from libs.i18n.feed import TemplateFeed, save_snapshot, snapshot_key, template_from_event
from libs.i18n.icu import TemplateError, compile_message, format_message
from libs.i18n.locales import FALLBACK, SUPPORTED, chain, known, resolve

__all__ = [
    "FALLBACK",
    "SUPPORTED",
    "Catalogue",
    "Template",
    "TemplateError",
    "TemplateFeed",
    "UnknownMessage",
    "chain",
    "compile_message",
    "format_message",
    "known",
    "localize",
    "resolve",
    "save_snapshot",
    "snapshot_key",
    "template_from_event",
]
