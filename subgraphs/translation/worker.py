"""The translation subgraph's background work: the outbox relay (template versions reach the stream), and the
snapshot every renderer's libs.i18n.TemplateFeed loads at start (the newest version of every changed
template, in Redis), rebuilt from the database when the workers start and kept by a consumer of the stream.
At start they also add the app's measurement names to the glossary (terms that are not there yet).

Runs inside the subgraph process by default (TRANSLATION_WORKERS=true) or as its own process (`manpasik worker
translation`); any number of copies may run.
"""

from __future__ import annotations

from libs.events import CloudEvent, EventConsumer
from libs.events.streams import TRANSLATION_STREAM
from libs.events.workers import EventWorkers
from libs.i18n import save_snapshot, template_from_event
from subgraphs.translation.resources import TranslationResources
from subgraphs.translation.service import SNAPSHOT_GROUP, TranslationService


class TranslationWorkers(EventWorkers):
    name = "translation"

    def __init__(self, res: TranslationResources, *, consumer_name: str | None = None,
                 block_ms: int = 1000) -> None:
        self.res = res
        # Idempotent (newest version wins), deduplicated by Redis markers.
        self.snapshot = EventConsumer(res.redis, res.settings, stream=TRANSLATION_STREAM,
                                      group=SNAPSHOT_GROUP, handler=self._on_template,
                                      consumer=consumer_name, block_ms=block_ms)
        super().__init__(consumers=[self.snapshot], loops=[res.relay.run])

    async def prepare(self) -> None:
        await super().prepare()
        await self.rebuild_snapshot()
        async with self.res.db.write() as repo:
            await TranslationService(repo, self.res.deps).seed_glossary()

    async def rebuild_snapshot(self) -> int:
        """Writes the newest version of every template an admin changed (a flushed Redis loses nothing)."""
        async with self.res.db.read() as repo:
            rows = await TranslationService(repo, self.res.deps).newest_templates()
        written = 0
        for row in rows:
            written += await save_snapshot(self.res.redis, self.res.settings,
                                           (row.key, row.locale, row.body, row.version))
        return written

    async def _on_template(self, event: CloudEvent) -> None:
        template = template_from_event(event)
        if template is not None:
            await save_snapshot(self.res.redis, self.res.settings, template)
