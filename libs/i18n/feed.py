"""Keeps a process's catalogue current without a network call per message: at start it loads the snapshot the
translation subgraph keeps in Redis and every template event the stream still holds, then follows the stream.

Every process needs every template, so the feed reads with XREAD (no consumer group, nothing to acknowledge).
Versions make the order irrelevant: a catalogue keeps the newest version of each (key, locale).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from libs.config import Settings
from libs.events.envelope import CloudEvent, InvalidEvent
from libs.events.streams import TEMPLATE_UPDATED, TRANSLATION_STREAM, stream_key
from libs.i18n.catalogue import Catalogue
from libs.i18n.icu import TemplateError

log = logging.getLogger("manpasik.i18n.feed")
PAGE = 500
TemplateData = tuple[str, str, str, int]  # key, locale, body, version


def snapshot_key(settings: Settings) -> str:
    """A hash "<key>|<locale>" -> {"body", "version"}: the newest version of every changed template."""
    return settings.redis_key("i18n", "templates")


def template_from_event(event: CloudEvent) -> TemplateData | None:
    """The template a `translation.template_updated` event carries; None for other or malformed events."""
    d = event.data
    if event.type != TEMPLATE_UPDATED:
        return None
    key, locale, body, version = d.get("key"), d.get("locale"), d.get("body"), d.get("version")
    if (isinstance(key, str) and isinstance(locale, str) and isinstance(body, str)
            and isinstance(version, int)):
        return key, locale, body, version
    return None


async def save_snapshot(redis: Redis, settings: Settings, template: TemplateData) -> bool:
    """Writes the template into the snapshot unless it holds this version or a newer one already."""
    key, locale, body, version = template
    field = f"{key}|{locale}"
    held = await redis.hget(snapshot_key(settings), field)
    if held is not None and int(json.loads(held)["version"]) >= version:
        return False
    value = json.dumps({"body": body, "version": version})
    await redis.hset(snapshot_key(settings), field, value)
    return True


class TemplateFeed:
    def __init__(self, redis: Redis, settings: Settings, catalogue: Catalogue, *,
                 block_ms: int = 1000) -> None:
        self.redis = redis
        self.settings = settings
        self.catalogue = catalogue
        self.block_ms = block_ms
        self.last_id = "0-0"
        self.applied = 0  # templates taken since start (newer than held)

    def _apply(self, template: TemplateData) -> None:
        try:
            if self.catalogue.apply(*template):
                self.applied += 1
        except TemplateError as e:  # the translation subgraph refuses these; never let one stop the feed
            log.warning("template %s/%s not taken: %s", template[0], template[1], e)

    async def sync(self) -> None:
        """The snapshot, then everything the stream holds: what was changed before this process started."""
        snapshot: dict[Any, Any] = await self.redis.hgetall(snapshot_key(self.settings))
        for field, value in snapshot.items():
            name = field.decode() if isinstance(field, bytes) else str(field)
            key, _, locale = name.rpartition("|")
            held = json.loads(value)
            self._apply((key, locale, str(held["body"]), int(held["version"])))
        while await self.read_once(block_ms=None):
            pass

    async def read_once(self, block_ms: int | None) -> int:
        """Applies the next entries of the stream; returns how many there were."""
        key = stream_key(self.settings, TRANSLATION_STREAM)
        reply: Any = await self.redis.xread({key: self.last_id}, count=PAGE, block=block_ms)
        entries = reply[0][1] if reply else []
        for entry_id, fields in entries:
            self.last_id = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
            raw = fields.get(b"event", fields.get("event"))
            try:
                event = CloudEvent.from_json(raw)
            except (InvalidEvent, ValueError, TypeError):
                continue
            template = template_from_event(event)
            if template is not None:
                self._apply(template)
        return len(entries)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.read_once(block_ms=self.block_ms)
            except RedisError as e:
                log.warning("template feed: %s; retrying", e)
                await asyncio.sleep(1.0)
