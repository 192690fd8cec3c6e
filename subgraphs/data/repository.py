"""Every query of the data subgraph."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlmodel import col

from libs.db.uow import SessionRepository
from libs.events.ledger import EventLedger
from subgraphs.data.models import (
    AuditLogRow,
    BackupRow,
    ChainHeadRow,
    CheckpointRow,
    CheckRecordRow,
    DataBlockRow,
    DataOutbox,
    DataProcessedEvent,
    EncryptionKeyRow,
    ExportRow,
    IntegrityCheckRow,
)


class DataRepository(SessionRepository, EventLedger):
    processed_model, outbox_model = DataProcessedEvent, DataOutbox

    def add(self, row: object) -> None:
        self.session.add(row)

    # -- chains ---------------------------------------------------------------------------------------------

    async def lock_head(self, name: str) -> ChainHeadRow:
        """The chain's head, locked until the unit of work ends: appends to one chain run one at a time."""
        stmt = select(ChainHeadRow).where(col(ChainHeadRow.name) == name).with_for_update()
        return (await self.session.execute(stmt)).scalar_one()

    async def head(self, name: str) -> ChainHeadRow:
        return (
            await self.session.execute(select(ChainHeadRow).where(col(ChainHeadRow.name) == name))
        ).scalar_one()

    async def known_block_events(self, event_ids: Sequence[str]) -> set[str]:
        stmt = select(col(DataBlockRow.source_event_id)).where(
            col(DataBlockRow.source_event_id).in_(event_ids)
        )
        return set((await self.session.execute(stmt)).scalars())

    async def known_audit_events(self, event_ids: Sequence[str]) -> set[str]:
        stmt = select(col(AuditLogRow.source_event_id)).where(col(AuditLogRow.source_event_id).in_(event_ids))
        return set((await self.session.execute(stmt)).scalars())

    async def blocks(self, after_seq: int, limit: int) -> list[DataBlockRow]:
        stmt = (
            select(DataBlockRow)
            .where(col(DataBlockRow.seq) > after_seq)
            .order_by(col(DataBlockRow.seq))
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def audit_rows(self, after_seq: int, limit: int) -> list[AuditLogRow]:
        stmt = (
            select(AuditLogRow)
            .where(col(AuditLogRow.seq) > after_seq)
            .order_by(col(AuditLogRow.seq))
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def first_audit_seq(self) -> int | None:
        return await self.session.scalar(select(func.min(AuditLogRow.seq)))

    async def latest_blocks(self, domain: str, record_ids: Sequence[str]) -> dict[str, DataBlockRow]:
        """The newest block of each record (a record written again has several)."""
        stmt = (
            select(DataBlockRow)
            .where(col(DataBlockRow.domain) == domain, col(DataBlockRow.record_id).in_(record_ids))
            .order_by(col(DataBlockRow.seq))
        )
        return {b.record_id: b for b in (await self.session.execute(stmt)).scalars()}

    async def unreported_blocks(self, check_id: str, domain: str, below_seq: int) -> list[DataBlockRow]:
        """Blocks of live records of `domain` chained before the check began that its store did not report."""
        reported = select(col(CheckRecordRow.record_id)).where(
            col(CheckRecordRow.check_id) == check_id, col(CheckRecordRow.domain) == domain
        )
        stmt = (
            select(DataBlockRow)
            .where(
                col(DataBlockRow.domain) == domain,
                col(DataBlockRow.seq) < below_seq,
                col(DataBlockRow.erased_at).is_(None),
                col(DataBlockRow.record_id).not_in(reported),
            )
            .order_by(col(DataBlockRow.seq))
        )
        return list((await self.session.execute(stmt)).scalars())

    async def user_blocks(self, user_id: str) -> list[DataBlockRow]:
        stmt = (
            select(DataBlockRow)
            .where(col(DataBlockRow.user_id) == user_id, col(DataBlockRow.erased_at).is_(None))
            .order_by(col(DataBlockRow.seq))
        )
        return list((await self.session.execute(stmt)).scalars())

    async def erase_blocks(self, user_id: str, at: datetime) -> int:
        stmt = (
            update(DataBlockRow)
            .where(col(DataBlockRow.user_id) == user_id, col(DataBlockRow.erased_at).is_(None))
            .values(payload=None, key_version=None, erased_at=at)
        )
        return int((await self.session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def checkpoints(self, chain: str) -> list[CheckpointRow]:
        stmt = (
            select(CheckpointRow)
            .where(col(CheckpointRow.chain) == chain)
            .order_by(col(CheckpointRow.tree_size))
        )
        return list((await self.session.execute(stmt)).scalars())

    # -- audit ----------------------------------------------------------------------------------------------

    async def access_log(
        self, subject_id: str, first: int, before: tuple[datetime, str] | None
    ) -> list[AuditLogRow]:
        stmt = select(AuditLogRow).where(col(AuditLogRow.subject_id) == subject_id)
        if before is not None:
            at, id_ = before
            stmt = stmt.where(
                (col(AuditLogRow.at) < at) | ((col(AuditLogRow.at) == at) & (col(AuditLogRow.id) < id_))
            )
        stmt = stmt.order_by(col(AuditLogRow.at).desc(), col(AuditLogRow.id).desc()).limit(first + 1)
        return list((await self.session.execute(stmt)).scalars())

    async def prune_audit(self, older_than: datetime) -> int:
        stmt = delete(AuditLogRow).where(col(AuditLogRow.at) < older_than)
        return int((await self.session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    # -- integrity checks -----------------------------------------------------------------------------------

    async def check(self, check_id: str, *, lock: bool = False) -> IntegrityCheckRow | None:
        stmt = select(IntegrityCheckRow).where(col(IntegrityCheckRow.id) == check_id)
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def checks(self, first: int) -> list[IntegrityCheckRow]:
        stmt = select(IntegrityCheckRow).order_by(col(IntegrityCheckRow.started_at).desc()).limit(first)
        return list((await self.session.execute(stmt)).scalars())

    async def reported(self, check_id: str, domain: str, record_ids: Sequence[str]) -> set[str]:
        stmt = select(col(CheckRecordRow.record_id)).where(
            col(CheckRecordRow.check_id) == check_id,
            col(CheckRecordRow.domain) == domain,
            col(CheckRecordRow.record_id).in_(record_ids),
        )
        return set((await self.session.execute(stmt)).scalars())

    async def forget_check_records(self, check_id: str) -> None:
        await self.session.execute(delete(CheckRecordRow).where(col(CheckRecordRow.check_id) == check_id))

    # -- exports --------------------------------------------------------------------------------------------

    async def export(self, export_id: str) -> ExportRow | None:
        return await self.session.get(ExportRow, export_id)

    async def exports_of(self, user_ids: Sequence[str], first: int) -> list[ExportRow]:
        stmt = (
            select(ExportRow)
            .where(col(ExportRow.user_id).in_(user_ids))
            .order_by(col(ExportRow.requested_at).desc())
            .limit(first * max(1, len(user_ids)))
        )
        return list((await self.session.execute(stmt)).scalars())

    async def next_pending_export(self) -> ExportRow | None:
        stmt = (
            select(ExportRow)
            .where(col(ExportRow.status) == "PENDING")
            .order_by(col(ExportRow.requested_at))
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def delete_exports(self, user_id: str) -> int:
        stmt = delete(ExportRow).where(col(ExportRow.user_id) == user_id)
        return int((await self.session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def expire_exports(self, now: datetime) -> int:
        stmt = (
            update(ExportRow)
            .where(col(ExportRow.status) == "READY", col(ExportRow.expires_at) < now)
            .values(status="EXPIRED", content=None, key_version=None)
        )
        return int((await self.session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    # -- backups --------------------------------------------------------------------------------------------

    async def backups(self, first: int) -> list[BackupRow]:
        stmt = select(BackupRow).order_by(col(BackupRow.started_at).desc()).limit(first)
        return list((await self.session.execute(stmt)).scalars())

    async def next_pending_backup(self) -> BackupRow | None:
        stmt = (
            select(BackupRow)
            .where(col(BackupRow.status) == "PENDING")
            .order_by(col(BackupRow.started_at))
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def backup(self, backup_id: str) -> BackupRow | None:
        return await self.session.get(BackupRow, backup_id)

    # -- data keys ------------------------------------------------------------------------------------------

    async def keys(self, *, lock: bool = False) -> list[EncryptionKeyRow]:
        stmt = select(EncryptionKeyRow).order_by(col(EncryptionKeyRow.version))
        if lock:
            stmt = stmt.with_for_update()
        return list((await self.session.execute(stmt)).scalars())

    async def blocks_under(self, versions: Sequence[int], limit: int) -> list[DataBlockRow]:
        stmt = (
            select(DataBlockRow)
            .where(col(DataBlockRow.key_version).in_(versions))
            .order_by(col(DataBlockRow.seq))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def exports_under(self, versions: Sequence[int], limit: int) -> list[ExportRow]:
        stmt = (
            select(ExportRow)
            .where(col(ExportRow.key_version).in_(versions))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def versions_in_use(self) -> set[int]:
        found: set[int] = set()
        for model in (DataBlockRow, ExportRow):
            stmt = select(col(model.key_version)).where(col(model.key_version).is_not(None)).distinct()
            found |= {int(v) for v in (await self.session.execute(stmt)).scalars()}
        return found
