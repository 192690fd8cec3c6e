"""Backups: an admin starts one; the worker writes it (libs.backup: every configured store, encrypted,
checksummed) outside any transaction and records the outcome."""

from __future__ import annotations

import uuid

from libs.backup import BackupFile
from libs.events import CloudEvent
from libs.events.staff import staff_action
from libs.events.streams import DATA_BACKUP_COMPLETED, DATA_STREAM
from subgraphs.data.models import BackupRow
from subgraphs.data.repository import DataRepository
from subgraphs.data.service.deps import SOURCE, DataDeps


class BackupService:
    def __init__(self, repo: DataRepository, deps: DataDeps) -> None:
        self.repo = repo
        self.deps = deps

    def start(self, requested_by: str) -> BackupRow:
        row = BackupRow(
            id=str(uuid.uuid4()), requested_by=requested_by, status="PENDING", started_at=self.deps.clock()
        )
        self.repo.add(row)
        self.repo.add_event(DATA_STREAM, staff_action(SOURCE, requested_by, "BACKUP_STARTED",
                                                      resource_id=row.id))
        return row

    async def backups(self, first: int) -> list[BackupRow]:
        return await self.repo.backups(first)

    async def claim_next(self) -> str | None:
        row = await self.repo.next_pending_backup()
        if row is None:
            return None
        row.status = "RUNNING"
        return row.id

    async def finished(self, backup_id: str, result: BackupFile | None, error: str | None) -> None:
        row = await self.repo.backup(backup_id)
        if row is None:
            return
        row.finished_at = self.deps.clock()
        if result is None:
            row.status, row.error = "FAILED", (error or "failed")[:500]
            return
        row.status, row.path, row.size_bytes, row.checksum = (
            "COMPLETED",
            str(result.path),
            result.size,
            result.checksum,
        )
        self.repo.add_event(
            DATA_STREAM,
            CloudEvent.new(
                DATA_BACKUP_COMPLETED,
                SOURCE,
                row.id,
                {"backupId": row.id, "sizeBytes": result.size, "checksum": result.checksum},
            ),
        )
