"""Root fields: parse, then a unit of work (or a read) and the service. Admin operations are ADMIN only
(admin.graphql); exports are the viewer's own."""

from __future__ import annotations

import strawberry

from libs.auth.fields import authenticated, roles
from libs.auth.viewer import Role
from libs.errors import BadUserInput
from libs.graphql.cursor import decode_cursor
from subgraphs.data.context import Info
from subgraphs.data.service import BackupService, ChainService, ExportService, IntegrityService, KeyService
from subgraphs.data.types import (
    AccessLogConnection,
    Backup,
    DataExport,
    EncryptionKey,
    ExportFormat,
    IntegrityCheck,
)

MAX_FIRST = 100


def _first(first: int) -> int:
    if not 1 <= first <= MAX_FIRST:
        raise BadUserInput(f"first must be between 1 and {MAX_FIRST}", field="first")
    return first


def _viewer_id(info: Info) -> str:
    return str(info.context.viewer.user_id)  # set: every field here requires a viewer


@strawberry.type
class Query:
    @strawberry.field(description="newest first", extensions=[roles(Role.ADMIN)])
    async def integrity_checks(self, info: Info, first: int = 20) -> list[IntegrityCheck]:
        async with info.context.read() as repo:
            rows = await IntegrityService(repo, info.context.resources.deps).checks(_first(first))
        return [IntegrityCheck(row=r) for r in rows]

    @strawberry.field(description="newest first", extensions=[roles(Role.ADMIN)])
    async def backups(self, info: Info, first: int = 20) -> list[Backup]:
        async with info.context.read() as repo:
            rows = await BackupService(repo, info.context.resources.deps).backups(_first(first))
        return [Backup(row=r) for r in rows]

    @strawberry.field(description="anyone's access log (admins)", extensions=[roles(Role.ADMIN)])
    async def access_log(
        self, info: Info, user_id: strawberry.ID, first: int = 20, after: str | None = None
    ) -> AccessLogConnection:
        before = decode_cursor(after, field="after") if after is not None else None
        async with info.context.read() as repo:
            rows = await ChainService(repo, info.context.resources.deps).access_log(
                str(user_id), _first(first), before
            )
        return AccessLogConnection.of(rows, first)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="a copy of all the viewer's health data, built as a job (see me.dataExports)",
        extensions=[authenticated()],
    )
    async def request_data_export(self, info: Info, format: ExportFormat) -> DataExport:
        async with info.context.unit_of_work() as repo:
            row = await ExportService(repo, info.context.resources.deps).request(
                _viewer_id(info), format.value
            )
        return DataExport(row=row)

    @strawberry.mutation(
        description="verifies the chains and re-hashes every stored record, in the background",
        extensions=[roles(Role.ADMIN)],
    )
    async def run_integrity_check(self, info: Info) -> IntegrityCheck:
        async with info.context.unit_of_work() as repo:
            row = await IntegrityService(repo, info.context.resources.deps).start(_viewer_id(info))
        return IntegrityCheck(row=row)

    @strawberry.mutation(
        description="an encrypted, checksummed backup of every store, in the background",
        extensions=[roles(Role.ADMIN)],
    )
    async def start_backup(self, info: Info) -> Backup:
        async with info.context.unit_of_work() as repo:
            row = BackupService(repo, info.context.resources.deps).start(_viewer_id(info))
        return Backup(row=row)

    @strawberry.mutation(
        description="a new data key encrypts from now on; old data stays readable and is "
        "re-encrypted in the background",
        extensions=[roles(Role.ADMIN)],
    )
    async def rotate_encryption_key(self, info: Info) -> EncryptionKey:
        async with info.context.unit_of_work() as repo:
            row = await KeyService(repo, info.context.resources.deps).rotate(_viewer_id(info))
        return EncryptionKey(row=row)
