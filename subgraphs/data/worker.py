"""The data subgraph's background work: append written records and access entries to their chains, erase
on account deletion, verify chains for integrity checks, build exports, write backups, re-wrap data under the
active key, relay the outbox, housekeeping (audit retention, export expiry, processed markers).

Runs inside the subgraph process by default (DATA_WORKERS=true) or as its own process (`manpasik worker
data`); any number of copies may run: consumer groups share the events, appends lock their chain's head,
exports and backups are claimed with SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from libs.audit import AccessRecord
from libs.backup import MongoStore, SqlStore, write_backup
from libs.events import CloudEvent, DropEvent, EventConsumer, OutboxRelay
from libs.events.housekeeping import every
from libs.events.streams import (
    ACCESS_RECORDED,
    AUDIT_STREAM,
    AUTH_STREAM,
    DATA_INTEGRITY_CHECK_REQUESTED,
    DATA_STREAM,
    INTEGRITY_STREAM,
)
from libs.events.workers import EventWorkers
from libs.polling import PollingLoop
from libs.time import utcnow
from subgraphs.data.models import DataOutbox
from subgraphs.data.resources import DataResources
from subgraphs.data.service import (
    CONSUMER_GROUP,
    BackupService,
    ChainService,
    ErasureService,
    ExportService,
    IntegrityService,
    KeyService,
    written_records,
)

log = logging.getLogger("manpasik.data.worker")

BATCH_SIZE = 64
KEEP_PROCESSED = timedelta(days=30)
HOUSEKEEPING_EVERY_S = 3600


async def handle_records(res: DataResources, events: Sequence[CloudEvent]) -> None:
    """One read of a record stream: new records chained, integrity answers compared, in one unit of work."""
    records = written_records(events)
    async with res.db.write() as repo:
        await ChainService(repo, res.deps).append_records(records)
        checks = IntegrityService(repo, res.deps)
        for event in events:
            await checks.records_hashed(event)


async def handle_access(res: DataResources, events: Sequence[CloudEvent]) -> None:
    entries = []
    for event in events:
        if event.type != ACCESS_RECORDED:
            continue
        try:
            entries.append((AccessRecord.from_data(event.data), event.source, event.id))
        except (KeyError, TypeError, ValueError) as e:
            raise DropEvent(f"malformed {event.type} {event.id}: {e!r}") from e
    if entries:
        async with res.db.write() as repo:
            await ChainService(repo, res.deps).append_access(entries)


class DataWorkers(EventWorkers):
    name = "data"

    def __init__(
        self,
        res: DataResources,
        *,
        consumer_name: str | None = None,
        block_ms: int = 1000,
        interval_s: float = 1.0,
    ) -> None:
        self.res = res
        name, group = consumer_name, CONSUMER_GROUP
        self.records = [
            EventConsumer(
                res.redis,
                res.settings,
                stream=stream,
                handler=self._on_record,
                batch_handler=self._on_records,
                dedupe=False,
                batch_size=BATCH_SIZE,
                group=group,
                consumer=name,
                block_ms=block_ms,
            )
            for stream in [*res.own.streams(), INTEGRITY_STREAM]  # integrity: the answers to checks
        ]
        self.audit = EventConsumer(
            res.redis,
            res.settings,
            stream=AUDIT_STREAM,
            handler=self._on_access,
            batch_handler=self._on_accesses,
            dedupe=False,
            batch_size=BATCH_SIZE,
            group=group,
            consumer=name,
            block_ms=block_ms,
        )
        self.accounts = EventConsumer(
            res.redis,
            res.settings,
            stream=AUTH_STREAM,
            handler=self._on_account,
            dedupe=False,
            group=group,
            consumer=name,
            block_ms=block_ms,
        )
        self.own_events = EventConsumer(
            res.redis,
            res.settings,
            stream=DATA_STREAM,
            handler=self._on_own,
            group=group,
            consumer=name,
            block_ms=block_ms,
        )
        self.relay = OutboxRelay(res.sessions, DataOutbox, res.publisher, interval_s=0.5)
        self.exports = PollingLoop(
            self.build_export, interval_s=interval_s, batch_size=1, name="data exports"
        )
        self.backups = PollingLoop(self.run_backup, interval_s=interval_s, batch_size=1, name="data backups")
        self.rewrap = PollingLoop(
            self.rewrap_once, interval_s=5 * interval_s, batch_size=1, name="data re-wrap"
        )
        super().__init__(
            consumers=[*self.records, self.audit, self.accounts, self.own_events],
            loops=[self.relay.run, self.exports.run, self.backups.run, self.rewrap.run, self._housekeeping],
        )

    async def _on_record(self, event: CloudEvent) -> None:
        await handle_records(self.res, [event])

    async def _on_records(self, events: list[CloudEvent]) -> None:
        await handle_records(self.res, events)

    async def _on_access(self, event: CloudEvent) -> None:
        await handle_access(self.res, [event])

    async def _on_accesses(self, events: list[CloudEvent]) -> None:
        await handle_access(self.res, events)

    async def _on_account(self, event: CloudEvent) -> None:
        async with self.res.db.write() as repo:
            await ErasureService(repo, self.res.deps).handle(event)

    async def _on_own(self, event: CloudEvent) -> None:
        if event.type == DATA_INTEGRITY_CHECK_REQUESTED and isinstance(event.data.get("checkId"), str):
            async with self.res.db.write() as repo:
                await IntegrityService(repo, self.res.deps).verify_chains(event.data["checkId"])

    async def build_export(self) -> int:
        async with self.res.db.write() as repo:
            row = await ExportService(repo, self.res.deps).build_next()
        if row is not None:
            self.relay.wake()
        return 0 if row is None else 1

    async def run_backup(self) -> int:
        async with self.res.db.write() as repo:
            backup_id = await BackupService(repo, self.res.deps).claim_next()
        if backup_id is None:
            return 0
        settings, own = self.res.settings, self.res.own
        result, error = None, None
        try:
            result = await write_backup(
                sql=[SqlStore(name, settings.sql_url(db)) for name, db in own.sql_stores()],
                mongo=[
                    MongoStore(name, settings.mongodb_url or "", settings.database_name(db))
                    for name, db in own.mongo_stores()
                ],
                directory=own.backup_dir or settings.data_dir / "backups",
                keks=own.keks(),
            )
        except Exception as e:
            log.exception("backup %s failed", backup_id)
            error = f"{type(e).__name__}: {e}"
        async with self.res.db.write() as repo:
            await BackupService(repo, self.res.deps).finished(backup_id, result, error)
        self.relay.wake()
        return 1

    async def rewrap_once(self) -> int:
        async with self.res.db.write() as repo:
            return await KeyService(repo, self.res.deps).rewrap_once()

    async def _housekeeping(self, stop: asyncio.Event) -> None:
        await every(stop, HOUSEKEEPING_EVERY_S, self.housekeeping, name="data housekeeping")

    async def housekeeping(self) -> None:
        now = utcnow()
        async with self.res.db.write() as repo:
            await repo.prune_audit(now - timedelta(days=self.res.own.audit_retention_days))
            await ExportService(repo, self.res.deps).expire()
            await repo.prune_processed(now - KEEP_PROCESSED)
