"""Appending to the two chains: health records as their owners wrote them (digest, previous hash, time,
writer, and an encrypted copy of the content for exports), and access-audit entries.

Why the chain lives here and the digest at the owner: the owning subgraph computes a record's digest in the
write itself (a hash in memory, no extra round trip, so `recordMeasurement` keeps its speed) and publishes it
with the record's event; appending needs one lock per chain, which a consumer batch takes once for many
records. The digest in the chain is the reference an integrity check compares each stored record against,
re-hashed where it is stored (checks.py): an edit made directly in the owner's store no longer matches, and
an edit of the chain breaks its links or the Merkle checkpoints.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from libs.audit import AccessRecord
from libs.events import CloudEvent, DropEvent
from libs.events.streams import HEALTH_RECORD_WRITTEN, MEASUREMENT_RECORDED
from libs.integrity import canonical_bytes, link
from libs.time import as_utc, utcnow
from subgraphs.data.models import AUDIT_CHAIN, RECORDS_CHAIN, AuditLogRow, DataBlockRow
from subgraphs.data.repository import DataRepository
from subgraphs.data.service.deps import DataDeps
from subgraphs.data.service.keys import KeyService

MEASUREMENT = "measurement"
RECORD_KINDS = {"prescription", "consultation_note", "message"}


@dataclass(frozen=True, slots=True)
class WrittenRecord:
    event_id: str
    domain: str
    record_id: str
    user_id: str
    digest: str
    writer: str
    written_at: datetime
    content: dict[str, Any]


def _parse(event: CloudEvent) -> WrittenRecord | None:
    data = event.data
    if event.type == MEASUREMENT_RECORDED:
        content = {k: v for k, v in data.items() if k != "digest"}
        return WrittenRecord(
            event.id,
            MEASUREMENT,
            str(data["measurementId"]),
            str(data["userId"]),
            str(data["digest"]),
            str(data.get("writer") or data["userId"]),
            as_utc(event.timestamp or utcnow()),
            content,
        )
    if event.type == HEALTH_RECORD_WRITTEN:
        kind = str(data["kind"])
        if kind not in RECORD_KINDS:
            raise ValueError(f"unknown record kind {kind!r}")
        return WrittenRecord(
            event.id,
            kind,
            str(data["recordId"]),
            str(data["userId"]),
            str(data["digest"]),
            str(data["writer"]),
            as_utc(datetime.fromisoformat(data["writtenAt"])),
            dict(data.get("content") or {}),
        )
    return None


def written_records(events: Sequence[CloudEvent]) -> list[WrittenRecord]:
    """The health records among a read's events; a malformed one is dropped (DropEvent)."""
    out = []
    for event in events:
        try:
            record = _parse(event)
        except (KeyError, TypeError, ValueError) as e:
            raise DropEvent(f"{event.type} {event.id}: {e!r}") from e
        if record is not None:
            out.append(record)
    return out


def decode_payload(content: bytes) -> dict[str, Any]:
    return dict(json.loads(content))


class ChainService:
    def __init__(self, repo: DataRepository, deps: DataDeps) -> None:
        self.repo = repo
        self.deps = deps

    async def append_records(self, records: Sequence[WrittenRecord]) -> list[DataBlockRow]:
        """New blocks for records not chained yet (a redelivered event appends nothing)."""
        known = await self.repo.known_block_events([r.event_id for r in records]) if records else set()
        fresh = [r for r in records if r.event_id not in known]
        if not fresh:
            return []
        await KeyService(self.repo, self.deps).sync()
        keys = self.deps.keys
        head = await self.repo.lock_head(RECORDS_CHAIN)
        blocks = []
        for r in fresh:
            block = DataBlockRow(
                seq=head.size,
                domain=r.domain,
                record_id=r.record_id,
                user_id=r.user_id,
                digest=r.digest,
                writer=r.writer,
                written_at=r.written_at,
                prev_hash="",
                leaf_hash="",
                source_event_id=r.event_id,
            )
            hashes = link(head.last_hash, block.entry())
            block.prev_hash, block.leaf_hash = hashes.prev_hash, hashes.leaf_hash
            block.payload = keys.encrypt(canonical_bytes(r.content), f"data_blocks/{block.seq}".encode())
            block.key_version = keys.active
            self.repo.add(block)
            head.size, head.last_hash = head.size + 1, block.leaf_hash
            blocks.append(block)
        return blocks

    async def append_access(self, entries: Sequence[tuple[AccessRecord, str, str]]) -> list[AuditLogRow]:
        """Audit entries (record, source subgraph, event id); a redelivered event appends nothing."""
        known = await self.repo.known_audit_events([e for _, _, e in entries]) if entries else set()
        fresh = [(r, s, e) for r, s, e in entries if e not in known]
        if not fresh:
            return []
        head = await self.repo.lock_head(AUDIT_CHAIN)
        rows = []
        for record, source, event_id in fresh:
            row = AuditLogRow(
                seq=head.size,
                id=str(uuid.uuid4()),
                actor_id=record.actor_id,
                subject_id=record.subject_id,
                action=record.action.value,
                resource=record.resource,
                request_id=record.request_id,
                source=source[:100],
                at=record.at,
                source_event_id=event_id,
                prev_hash="",
                leaf_hash="",
            )
            hashes = link(head.last_hash, row.entry())
            row.prev_hash, row.leaf_hash = hashes.prev_hash, hashes.leaf_hash
            self.repo.add(row)
            head.size, head.last_hash = head.size + 1, row.leaf_hash
            rows.append(row)
        return rows

    async def access_log(
        self, subject_id: str, first: int, before: tuple[datetime, str] | None
    ) -> list[AuditLogRow]:
        """The subject's entries, newest first: `first` of them plus one (to tell whether more follow)."""
        return await self.repo.access_log(subject_id, first, before)

    async def record_own_access(self, record: AccessRecord) -> AuditLogRow:
        """An access this subgraph itself serves (an export, a download), in the caller's unit of work."""
        rows = await self.append_access([(record, "/subgraphs/data", f"data:{uuid.uuid4()}")])
        return rows[0]
