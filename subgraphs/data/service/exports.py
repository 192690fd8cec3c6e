"""Data exports: requested by the owner (audited as EXPORT), built by the worker from the owner's chained
records as a FHIR R4 Bundle or CSV, stored encrypted, downloaded through a short-lived signed link (audited
as DOWNLOAD)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from libs.audit import AccessAction, access
from libs.events import CloudEvent
from libs.events.streams import DATA_EXPORT_READY, DATA_STREAM
from subgraphs.data import fhir, tabular
from subgraphs.data.errors import ExportNotFound, ExportNotReady
from subgraphs.data.models import ExportRow
from subgraphs.data.repository import DataRepository
from subgraphs.data.service.chain import MEASUREMENT, ChainService, decode_payload
from subgraphs.data.service.deps import SOURCE, DataDeps
from subgraphs.data.service.keys import KeyService

FORMATS = ("FHIR_JSON", "CSV")
CONTENT_TYPES = {"FHIR_JSON": ("application/fhir+json", "json"), "CSV": ("text/csv; charset=utf-8", "csv")}
MAX_LIST = 50


def _aad(export_id: str) -> bytes:
    return f"data_exports/{export_id}".encode()


class ExportService:
    def __init__(self, repo: DataRepository, deps: DataDeps) -> None:
        self.repo = repo
        self.deps = deps

    async def request(self, user_id: str, fmt: str) -> ExportRow:
        if fmt not in FORMATS:
            raise ValueError(fmt)  # the GraphQL enum admits only these
        row = ExportRow(
            id=str(uuid.uuid4()),
            user_id=user_id,
            format=fmt,
            status="PENDING",
            requested_at=self.deps.clock(),
        )
        self.repo.add(row)
        await ChainService(self.repo, self.deps).record_own_access(
            access(user_id, user_id, AccessAction.EXPORT, f"export/{row.id}?format={fmt}", self.deps.clock())
        )
        return row

    async def exports_of(self, user_ids: list[str], first: int = MAX_LIST) -> dict[str, list[ExportRow]]:
        out: dict[str, list[ExportRow]] = {u: [] for u in user_ids}
        for row in await self.repo.exports_of(user_ids, first):
            if len(out[row.user_id]) < first:
                out[row.user_id].append(row)
        return out

    async def build_next(self) -> ExportRow | None:
        """Builds the oldest pending export (another worker takes the next); None when there is none."""
        row = await self.repo.next_pending_export()
        if row is None:
            return None
        await KeyService(self.repo, self.deps).sync()
        keys = self.deps.keys
        latest = {}
        for block in await self.repo.user_blocks(row.user_id):  # in chain order: a record's newest wins
            if block.payload is not None:
                latest[(block.domain, block.record_id)] = block
        measurements, prescriptions = [], []
        for (domain, _), block in latest.items():
            content = decode_payload(keys.decrypt(block.payload or b"", f"data_blocks/{block.seq}".encode()))
            if domain == MEASUREMENT:
                measurements.append(content)
            elif domain == "prescription":
                prescriptions.append(content)
        measurements.sort(key=lambda m: str(m.get("takenAt")))
        now = self.deps.clock()
        try:
            if row.format == "CSV":
                body = tabular.to_csv(measurements, prescriptions)
            else:
                body = json.dumps(
                    fhir.bundle(row.user_id, measurements, prescriptions, now), ensure_ascii=False
                ).encode()
        except fhir.ExportInvalid as e:
            row.status, row.error, row.completed_at = "FAILED", str(e)[:500], now
            return row
        row.content = keys.encrypt(body, _aad(row.id))
        row.key_version = keys.active
        row.size_bytes = len(body)
        row.status, row.completed_at = "READY", now
        row.expires_at = now + timedelta(days=self.deps.own.export_keep_days)
        self.repo.add_event(
            DATA_STREAM,
            CloudEvent.new(
                DATA_EXPORT_READY,
                SOURCE,
                row.user_id,
                {
                    "exportId": row.id,
                    "userId": row.user_id,
                    "format": row.format,
                    "expiresAt": row.expires_at.isoformat(),
                },
            ),
        )
        return row

    async def download(self, export_id: str, user_id: str) -> tuple[bytes, str, str]:
        """(content, media type, file name) of the owner's ready export; the download is audited."""
        row = await self.repo.export(export_id)
        if row is None or row.user_id != user_id:
            raise ExportNotFound(export_id)
        if row.status != "READY" or row.content is None:
            raise ExportNotReady(export_id, row.status)
        await KeyService(self.repo, self.deps).sync()
        body = self.deps.keys.decrypt(row.content, _aad(row.id))
        await ChainService(self.repo, self.deps).record_own_access(
            access(user_id, user_id, AccessAction.DOWNLOAD, f"export/{row.id}", self.deps.clock())
        )
        media, ext = CONTENT_TYPES[row.format]
        return body, media, f"manpasik-export-{row.id[:8]}.{ext}"

    async def expire(self) -> int:
        return await self.repo.expire_exports(self.deps.clock())
