"""The data subgraph's tables (`mps_data`): the record chain and its checkpoints, the audit log (a chain too),
integrity checks, exports, backups, data keys, outbox, processed events.

A block's hashes cover its entry (`ChainEntry.entry()`), not its encrypted payload nor `erased_at`: erasing a
person's data, or re-encrypting it under a new key, leaves every link verifiable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from libs.events import OutboxBase, ProcessedEventBase
from libs.time import as_utc, utcnow

RECORDS_CHAIN = "records"
AUDIT_CHAIN = "audit"


class ChainHeadRow(SQLModel, table=True):
    """One row per chain: appends lock it, so blocks get consecutive numbers and each names the one before."""

    __tablename__ = "data_chain_heads"

    name: str = Field(primary_key=True, max_length=20)
    size: int = 0
    last_hash: str = Field(max_length=64)


class DataBlockRow(SQLModel, table=True):
    """A health record as written: its digest, the previous block's hash, time, writer (and an encrypted copy
    of its content for exports, dropped on erasure)."""

    __tablename__ = "data_blocks"
    __table_args__ = (
        Index("ix_data_blocks_domain_record", "domain", "record_id", "seq"),
        Index("ix_data_blocks_user", "user_id", "seq"),
    )

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    domain: str = Field(max_length=40)  # measurement | prescription | consultation_note | message
    record_id: str = Field(max_length=64)
    user_id: str = Field(max_length=64)
    digest: str = Field(max_length=64)
    writer: str = Field(max_length=64)  # who wrote it (a user id) or the writing subgraph
    written_at: datetime = Field(sa_type=DateTime(timezone=True))
    prev_hash: str = Field(max_length=64)
    leaf_hash: str = Field(max_length=64)
    source_event_id: str = Field(max_length=200, unique=True)
    payload: bytes | None = Field(default=None, sa_type=LargeBinary)  # encrypted content (DataKeys)
    key_version: int | None = Field(default=None, index=True)
    erased_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))

    def entry(self) -> dict[str, Any]:
        return {
            "chain": RECORDS_CHAIN,
            "seq": self.seq,
            "domain": self.domain,
            "recordId": self.record_id,
            "userId": self.user_id,
            "digest": self.digest,
            "writer": self.writer,
            "at": as_utc(self.written_at),
        }


class AuditLogRow(SQLModel, table=True):
    """Append-only: who read or changed whose health data. Rows are never updated; retention deletes the
    oldest only, and the chain then verifies from the first kept row (its `prev_hash`)."""

    __tablename__ = "data_audit_logs"
    __table_args__ = (Index("ix_data_audit_subject_at", "subject_id", "at", "seq"),)

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    id: str = Field(max_length=36, unique=True)
    actor_id: str = Field(max_length=64)
    subject_id: str = Field(max_length=64)
    action: str = Field(max_length=20)
    resource: str = Field(max_length=300)
    request_id: str | None = Field(default=None, max_length=100)
    source: str = Field(max_length=100)  # the subgraph that saw the access
    at: datetime = Field(sa_type=DateTime(timezone=True))
    source_event_id: str = Field(max_length=200, unique=True)
    prev_hash: str = Field(max_length=64)
    leaf_hash: str = Field(max_length=64)

    def entry(self) -> dict[str, Any]:
        return {
            "chain": AUDIT_CHAIN,
            "seq": self.seq,
            "id": self.id,
            "actorId": self.actor_id,
            "subjectId": self.subject_id,
            "action": self.action,
            "resource": self.resource,
            "requestId": self.request_id,
            "source": self.source,
            "at": as_utc(self.at),
        }


class CheckpointRow(SQLModel, table=True):
    """A Merkle tree head (RFC 6962): the root over a chain's first `tree_size` leaf hashes."""

    __tablename__ = "data_checkpoints"
    __table_args__ = (UniqueConstraint("chain", "tree_size"),)

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=20)
    tree_size: int
    root_hash: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class IntegrityCheckRow(SQLModel, table=True):
    __tablename__ = "data_integrity_checks"

    id: str = Field(primary_key=True, max_length=36)
    requested_by: str = Field(max_length=64)
    started_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), index=True)
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    records_at_start: int = 0  # the record chain's size when the check began: later blocks are not missed
    chains_verified: bool = False
    pending_domains: list[str] = Field(sa_type=JSON)  # subgraphs whose re-hash has not fully arrived
    blocks_checked: int = 0
    records_checked: int = 0
    first_bad_block: str | None = Field(default=None, max_length=40)  # "<chain>:<seq>"
    problems: list[str] = Field(default_factory=list, sa_type=JSON)
    ok: bool | None = None


class CheckRecordRow(SQLModel, table=True):
    """The records a domain reported during one check (what was not reported is missing from its store)."""

    __tablename__ = "data_check_records"

    check_id: str = Field(primary_key=True, max_length=36)
    domain: str = Field(primary_key=True, max_length=40)
    record_id: str = Field(primary_key=True, max_length=64)


class ExportRow(SQLModel, table=True):
    __tablename__ = "data_exports"
    __table_args__ = (Index("ix_data_exports_user_requested", "user_id", "requested_at"),)

    id: str = Field(primary_key=True, max_length=36)
    user_id: str = Field(max_length=64)
    format: str = Field(max_length=20)  # FHIR_JSON | CSV
    status: str = Field(max_length=20, index=True)  # PENDING | READY | FAILED | EXPIRED
    requested_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    completed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    content: bytes | None = Field(default=None, sa_type=LargeBinary)  # encrypted
    key_version: int | None = Field(default=None, index=True)
    size_bytes: int | None = None
    error: str | None = Field(default=None, max_length=500)


class BackupRow(SQLModel, table=True):
    __tablename__ = "data_backups"

    id: str = Field(primary_key=True, max_length=36)
    requested_by: str = Field(max_length=64)
    status: str = Field(max_length=20, index=True)  # PENDING | RUNNING | COMPLETED | FAILED
    started_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), index=True)
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    path: str | None = Field(default=None, max_length=500)
    size_bytes: int | None = None
    checksum: str | None = Field(default=None, max_length=80)  # sha256:<hex> of the encrypted file
    error: str | None = Field(default=None, max_length=500)


class EncryptionKeyRow(SQLModel, table=True):
    """A data key, wrapped by a KEK (never stored unwrapped). ACTIVE encrypts new data; RETIRED keys still
    decrypt until the re-wrap job has moved their data, then are DESTROYED (the wrapped key is dropped)."""

    __tablename__ = "data_encryption_keys"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    id: str = Field(max_length=36, unique=True)
    kek_id: str = Field(max_length=64)
    wrapped: bytes | None = Field(default=None, sa_type=LargeBinary)
    status: str = Field(max_length=20)  # ACTIVE | RETIRED | DESTROYED
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    activated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    retired_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class DataOutbox(OutboxBase, table=True):
    __tablename__ = "data_outbox"


class DataProcessedEvent(ProcessedEventBase, table=True):
    __tablename__ = "data_processed_events"
