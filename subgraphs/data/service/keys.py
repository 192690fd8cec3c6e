"""Data keys: the first one, rotation (a new active version), and the background re-wrap that moves data off
retired versions and re-wraps data keys under the active KEK, then destroys what nothing needs any more."""

from __future__ import annotations

import uuid

from libs.crypto import StoredKey
from libs.events import CloudEvent
from libs.events.staff import staff_action
from libs.events.streams import DATA_KEY_ROTATED, DATA_STREAM
from subgraphs.data.models import EncryptionKeyRow
from subgraphs.data.repository import DataRepository
from subgraphs.data.service.deps import SOURCE, DataDeps

ACTIVE, RETIRED, DESTROYED = "ACTIVE", "RETIRED", "DESTROYED"


def _stored(row: EncryptionKeyRow) -> StoredKey | None:
    return None if row.wrapped is None else StoredKey(row.version, row.kek_id, row.wrapped)


class KeyService:
    def __init__(self, repo: DataRepository, deps: DataDeps) -> None:
        self.repo = repo
        self.deps = deps

    async def sync(self) -> None:
        """The in-memory keys as stored (another process may have rotated)."""
        rows = await self.repo.keys()
        active = next((r.version for r in rows if r.status == ACTIVE), None)
        await self.deps.keys.sync([k for k in map(_stored, rows) if k is not None], active)

    async def ensure_key(self) -> None:
        """Creates version 1 on a fresh database (at start, under a lock)."""
        if await self.repo.keys(lock=True):
            return
        await self._create(1)

    async def _create(self, version: int) -> EncryptionKeyRow:
        stored, key = await self.deps.keys.create(version)
        row = EncryptionKeyRow(
            version=version,
            id=str(uuid.uuid4()),
            kek_id=stored.kek_id,
            wrapped=stored.wrapped,
            status=ACTIVE,
            activated_at=self.deps.clock(),
        )
        self.repo.add(row)
        self.deps.keys.use(version, key, active=True)
        return row

    async def rotate(self, requested_by: str | None = None) -> EncryptionKeyRow:
        rows = await self.repo.keys(lock=True)
        await self.deps.keys.sync(
            [k for k in map(_stored, rows) if k is not None],
            next((r.version for r in rows if r.status == ACTIVE), None),
        )
        now = self.deps.clock()
        for row in rows:
            if row.status == ACTIVE:
                row.status, row.retired_at = RETIRED, now
        created = await self._create(max((r.version for r in rows), default=0) + 1)
        # Subgraphs holding data keys of their own rotate with us (video: prescriptions, messages).
        self.repo.add_event(DATA_STREAM, CloudEvent.new(DATA_KEY_ROTATED, SOURCE, created.id,
                                                        {"version": created.version}))
        if requested_by is not None:
            self.repo.add_event(DATA_STREAM, staff_action(SOURCE, requested_by, "ENCRYPTION_KEY_ROTATED",
                                                          resource_id=created.id))
        return created

    async def rewrap_once(self, batch: int = 200) -> int:
        """One step of the background re-wrap; returns how many rows and keys it moved (0: nothing left)."""
        await self.sync()
        keys, rows = self.deps.keys, await self.repo.keys(lock=True)
        retired = [r.version for r in rows if r.status == RETIRED]
        moved = 0
        if retired:
            for block in await self.repo.blocks_under(retired, batch):
                aad = f"data_blocks/{block.seq}".encode()
                block.payload = keys.encrypt(keys.decrypt(block.payload or b"", aad), aad)
                block.key_version = keys.active
                moved += 1
            for export in await self.repo.exports_under(retired, batch):
                aad = f"data_exports/{export.id}".encode()
                export.content = keys.encrypt(keys.decrypt(export.content or b"", aad), aad)
                export.key_version = keys.active
                moved += 1
            if moved == 0:  # nothing left under the retired versions: their keys go
                in_use = await self.repo.versions_in_use()
                for row in rows:
                    if row.status == RETIRED and row.version not in in_use:
                        row.status, row.wrapped = DESTROYED, None
                        keys.forget(row.version)
                        moved += 1
        for row in rows:  # a KEK rotation: the same data keys, wrapped by the new KEK
            stored = _stored(row)
            if stored is not None and row.kek_id != keys.keks.active_id:
                fresh = await keys.rewrap(stored)
                row.kek_id, row.wrapped = fresh.kek_id, fresh.wrapped
                moved += 1
        return moved
