"""GraphQL types of the data subgraph (never the tables), including its part of the federated `User`.
Exports and access logs are personal data: each field says who reads it (the owner; admins for access logs);
integrity checks, backups and keys are admin-only through their root fields."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.extensions.field_extension import FieldExtension

from libs.audit import AccessAction
from libs.auth.fields import owner_or_roles
from libs.auth.viewer import Role
from libs.errors import BadUserInput
from libs.graphql.cursor import decode_cursor, encode_cursor
from libs.time import as_utc
from subgraphs.data import loaders
from subgraphs.data.context import Info
from subgraphs.data.models import AuditLogRow, BackupRow, EncryptionKeyRow, ExportRow, IntegrityCheckRow
from subgraphs.data.service import ChainService

AccessActionType = strawberry.enum(
    AccessAction, name="AccessAction", description="what was done with the health data"
)


@strawberry.enum
class ExportFormat(Enum):
    FHIR_JSON = "FHIR_JSON"  # an R4 Bundle: Patient, Observations (LOINC, UCUM), MedicationRequests
    CSV = "CSV"


@strawberry.enum
class ExportStatus(Enum):
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


def export_owner() -> list[FieldExtension]:
    return [owner_or_roles(owner=lambda e: e.row.user_id, message="you may only access your own exports")]


def log_reader() -> list[FieldExtension]:
    return [
        owner_or_roles(
            Role.ADMIN, owner=lambda e: e.row.subject_id, message="you may only read your own access log"
        )
    ]


def user_only(data: str) -> list[FieldExtension]:
    return [owner_or_roles(owner=lambda user: str(user.id), message=f"you may only access your own {data}")]


@strawberry.type(description="A copy of the owner's health data, built as a job")
class DataExport:
    row: strawberry.Private[ExportRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(extensions=export_owner())
    def status(self) -> ExportStatus:
        return ExportStatus(self.row.status)

    @strawberry.field(extensions=export_owner())
    def format(self) -> ExportFormat:
        return ExportFormat(self.row.format)

    @strawberry.field(extensions=export_owner())
    def requested_at(self) -> datetime:
        return as_utc(self.row.requested_at)

    @strawberry.field(extensions=export_owner())
    def completed_at(self) -> datetime | None:
        return as_utc(self.row.completed_at) if self.row.completed_at else None

    @strawberry.field(extensions=export_owner())
    def expires_at(self) -> datetime | None:
        return as_utc(self.row.expires_at) if self.row.expires_at else None

    @strawberry.field(extensions=export_owner())
    def size_bytes(self) -> int | None:
        return self.row.size_bytes

    @strawberry.field(
        description="a signed link for the owner, valid a few minutes (null until READY)",
        extensions=export_owner(),
    )
    def download_url(self, info: Info) -> str | None:
        if self.row.status != "READY":
            return None
        deps = info.context.resources.deps
        return deps.links.url(self.row.id, self.row.user_id, deps.clock())


@strawberry.type(description="One read or change of someone's health data, or an export of one's own")
class AccessLogEntry:
    row: strawberry.Private[AuditLogRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(extensions=log_reader())
    def at(self) -> datetime:
        return as_utc(self.row.at)

    @strawberry.field(description="who did it", extensions=log_reader())
    def actor(self) -> User:
        return User(id=strawberry.ID(self.row.actor_id))

    @strawberry.field(extensions=log_reader())
    def action(self) -> AccessActionType:  # type: ignore[valid-type]
        return AccessAction(self.row.action)

    @strawberry.field(description="what was accessed, e.g. measurement/<id>", extensions=log_reader())
    def resource(self) -> str:
        return self.row.resource

    @strawberry.field(description="the request, to find its log lines", extensions=log_reader())
    def request_id(self) -> str | None:
        return self.row.request_id


@strawberry.type
class AccessLogEdge:
    node: AccessLogEntry
    cursor: str


@strawberry.federation.type(shareable=True)
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class AccessLogConnection:
    edges: list[AccessLogEdge]
    page_info: PageInfo

    @classmethod
    def of(cls, rows: list[AuditLogRow], first: int) -> AccessLogConnection:
        edges = [
            AccessLogEdge(node=AccessLogEntry(row=r), cursor=encode_cursor(r.at, r.id)) for r in rows[:first]
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None
            ),
        )


@strawberry.type(description="A verification of the record and audit chains and of every stored record")
class IntegrityCheck:
    row: strawberry.Private[IntegrityCheckRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field
    def started_at(self) -> datetime:
        return as_utc(self.row.started_at)

    @strawberry.field
    def finished_at(self) -> datetime | None:
        return as_utc(self.row.finished_at) if self.row.finished_at else None

    @strawberry.field(description="chain entries verified (records and audit)")
    def blocks_checked(self) -> int:
        return self.row.blocks_checked

    @strawberry.field(description="stored records re-hashed by their subgraphs")
    def records_checked(self) -> int:
        return self.row.records_checked

    @strawberry.field(description="null while running")
    def ok(self) -> bool | None:
        return self.row.ok

    @strawberry.field(description='the first bad block, "records:<seq>" or "audit:<seq>"')
    def first_bad_block_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.row.first_bad_block) if self.row.first_bad_block else None

    @strawberry.field(description="what was found (at most 20)")
    def problems(self) -> list[str]:
        return list(self.row.problems)


@strawberry.type
class Backup:
    row: strawberry.Private[BackupRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(description="PENDING | RUNNING | COMPLETED | FAILED")
    def status(self) -> str:
        return self.row.status

    @strawberry.field
    def started_at(self) -> datetime:
        return as_utc(self.row.started_at)

    @strawberry.field
    def finished_at(self) -> datetime | None:
        return as_utc(self.row.finished_at) if self.row.finished_at else None

    @strawberry.field
    def size_bytes(self) -> int | None:
        return self.row.size_bytes

    @strawberry.field(description="sha256:<hex> of the encrypted file (`manpasik restore --checksum`)")
    def checksum(self) -> str | None:
        return self.row.checksum


@strawberry.type(description="A data-encryption key version (the key itself never leaves the service)")
class EncryptionKey:
    row: strawberry.Private[EncryptionKeyRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field
    def version(self) -> int:
        return self.row.version

    @strawberry.field
    def activated_at(self) -> datetime:
        return as_utc(self.row.activated_at)

    @strawberry.field(description="ACTIVE | RETIRED | DESTROYED")
    def status(self) -> str:
        return self.row.status


MAX_FIRST = 100


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> User:
        return cls(id=id)

    @strawberry.field(description="the user's exports, newest first", extensions=user_only("exports"))
    async def data_exports(self, info: Info) -> list[DataExport]:
        rows = await loaders.exports(info.context).load(str(self.id))
        return [DataExport(row=r) for r in rows]

    @strawberry.field(
        description="who read or changed the user's health data, newest first",
        extensions=[
            owner_or_roles(
                Role.ADMIN, owner=lambda user: str(user.id), message="you may only read your own access log"
            )
        ],
    )
    async def access_log(self, info: Info, first: int = 20, after: str | None = None) -> AccessLogConnection:
        if not 1 <= first <= MAX_FIRST:
            raise BadUserInput(f"first must be between 1 and {MAX_FIRST}", field="first")
        before = decode_cursor(after, field="after") if after is not None else None
        async with info.context.read() as repo:
            rows = await ChainService(repo, info.context.resources.deps).access_log(
                str(self.id), first, before
            )
        return AccessLogConnection.of(rows, first)
