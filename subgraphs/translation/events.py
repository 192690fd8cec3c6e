"""What the translation subgraph publishes on its stream (through the outbox): a template's new version, which
every renderer's libs.i18n.TemplateFeed applies, and the admin's action for the console."""

from __future__ import annotations

from libs.events import CloudEvent
from libs.events.staff import staff_action
from libs.events.streams import TEMPLATE_UPDATED
from subgraphs.translation.models import TemplateVersionRow

SOURCE = "/subgraphs/translation"


def template_updated(row: TemplateVersionRow) -> CloudEvent:
    return CloudEvent.new(TEMPLATE_UPDATED, SOURCE, f"{row.key}|{row.locale}",
                          {"key": row.key, "locale": row.locale, "body": row.body, "version": row.version})


def template_changed_by(row: TemplateVersionRow) -> CloudEvent:
    return staff_action(SOURCE, row.author_id, "TEMPLATE_UPDATED",
                        resource_id=f"{row.key}|{row.locale}|v{row.version}")


def glossary_changed_by(actor_id: str, term_id: str) -> CloudEvent:
    return staff_action(SOURCE, actor_id, "GLOSSARY_TERM_UPDATED", resource_id=term_id)
