"""Encryption at rest of what a consultation leaves behind (issue 12): prescription contents (medications and
notes) and chat messages, AES-256-GCM under this subgraph's own data keys (`video_encryption_keys`), each
wrapped by the KEK of `VIDEO_KEK` (libs.crypto envelope encryption). Associated data names the row and column,
so a ciphertext copied to another row does not decrypt.

Writers read the key table `FOR SHARE` in their own transaction, so a rotation or a key's destruction (`FOR
UPDATE`) never interleaves with a write: nothing is ever sealed under a key being destroyed. Rows from before
encryption keep their plaintext columns and stay readable until the re-encryption pass seals them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from libs.crypto import DataKeys, DecryptionFailed, StoredKey
from libs.db.uow import Transactions
from libs.time import utcnow
from subgraphs.video.models import MessageRow, PrescriptionRow, VideoKeyRow
from subgraphs.video.repository import VideoRepository

ACTIVE, RETIRED, DESTROYED = "ACTIVE", "RETIRED", "DESTROYED"


@dataclass(frozen=True, slots=True)
class PrescriptionContent:
    medications: list[dict[str, Any]]
    notes: str | None


def _aad(row: PrescriptionRow | MessageRow) -> bytes:
    if isinstance(row, PrescriptionRow):
        return f"video_prescriptions/{row.id}/sealed".encode()
    return f"video_messages/{row.id}/body".encode()


def _stored(rows: list[VideoKeyRow]) -> list[StoredKey]:
    return [StoredKey(r.version, r.kek_id, r.wrapped) for r in rows if r.wrapped is not None]


class Sealer:
    """The data keys in memory (unwrapped), synced from the key table when it may have changed."""

    def __init__(self, keys: DataKeys, db: Transactions[VideoRepository]) -> None:
        self.keys = keys
        self.db = db

    async def _sync(self, rows: list[VideoKeyRow]) -> None:
        await self.keys.sync(_stored(rows), next((r.version for r in rows if r.status == ACTIVE), None))

    async def prepare(self, repo: VideoRepository) -> None:
        """Before sealing in `repo`'s transaction: the keys as committed, held against rotation until it
        commits; the first key is made on a fresh database."""
        rows = await repo.keys(lock="share")
        if not any(r.status == ACTIVE for r in rows):
            rows = await self._first_key(repo)
        await self._sync(rows)

    async def _first_key(self, repo: VideoRepository) -> list[VideoKeyRow]:
        """Makes version 1 on a fresh database: one writer does, concurrent ones wait and then see it (no row
        exists yet to lock, hence the transaction-scoped advisory lock)."""
        await repo.lock_key_creation()
        rows = await repo.keys(lock="update")
        if not any(r.status == ACTIVE for r in rows):
            rows.append(await self._create(repo, max((r.version for r in rows), default=0) + 1))
        return rows

    async def _create(self, repo: VideoRepository, version: int) -> VideoKeyRow:
        stored, key = await self.keys.create(version)
        self.keys.use(version, key, active=False)  # active once the transaction's sync says so
        row = VideoKeyRow(version=version, kek_id=stored.kek_id, wrapped=stored.wrapped, status=ACTIVE)
        repo.add(row)
        await repo.session.flush()
        return row

    async def rotate(self, repo: VideoRepository) -> int:
        """A new active data key; the old ones still decrypt until `reseal_once` has moved their rows."""
        rows = await repo.keys(lock="update")
        now = utcnow()
        for row in rows:
            if row.status == ACTIVE:
                row.status, row.retired_at = RETIRED, now
        created = await self._create(repo, max((r.version for r in rows), default=0) + 1)
        await self._sync([*rows, created])
        return created.version

    # -- sealing and opening --------------------------------------------------------------------------------

    def seal_prescription(self, row: PrescriptionRow, content: PrescriptionContent) -> None:
        plain = json.dumps({"medications": content.medications, "notes": content.notes}, ensure_ascii=False)
        row.sealed = self.keys.encrypt(plain.encode(), _aad(row))
        row.key_version, row.medications, row.notes = self.keys.active, None, None

    def seal_message(self, row: MessageRow, body: str) -> None:
        row.sealed = self.keys.encrypt(body.encode(), _aad(row))
        row.key_version, row.body = self.keys.active, None

    async def _open(self, row: PrescriptionRow | MessageRow, blob: bytes) -> bytes:
        try:
            return self.keys.decrypt(blob, _aad(row))
        except DecryptionFailed:
            pass  # perhaps a version another process made after our last sync: sync once, then it is final
        async with self.db.read() as repo:
            await self._sync(await repo.keys())
        return self.keys.decrypt(blob, _aad(row))

    async def prescription(self, row: PrescriptionRow) -> PrescriptionContent:
        if row.sealed is None:
            return PrescriptionContent(list(row.medications or []), row.notes)
        data = json.loads(await self._open(row, row.sealed))
        return PrescriptionContent(list(data["medications"]), data.get("notes"))

    async def message_body(self, row: MessageRow) -> str:
        if row.sealed is None:
            return row.body or ""
        return (await self._open(row, row.sealed)).decode()

    # -- moving rows to the active key ----------------------------------------------------------------------

    async def reseal_once(self, repo: VideoRepository, batch: int = 200) -> int:
        """One pass: rows in plaintext or under a retired key are sealed under the active one; once none is
        left, retired keys are destroyed and keys wrapped by an older KEK are re-wrapped. Returns how many
        rows and keys changed (0: nothing left to do)."""
        rows = await repo.keys(lock="update")
        if not any(r.status == ACTIVE for r in rows):
            rows = await self._first_key(repo)
        await self._sync(rows)
        active = self.keys.active
        moved = 0
        for p in await repo.prescriptions_to_seal(active, batch):
            self.seal_prescription(p, await self.prescription(p))
            moved += 1
        for m in await repo.messages_to_seal(active, batch):
            self.seal_message(m, await self.message_body(m))
            moved += 1
        if moved == 0:
            in_use = await repo.key_versions_in_use()
            for row in rows:
                if row.status == RETIRED and row.version not in in_use:
                    row.status, row.wrapped = DESTROYED, None
                    self.keys.forget(row.version)
                    moved += 1
        for row in rows:
            if row.wrapped is not None and row.kek_id != self.keys.keks.active_id:
                fresh = await self.keys.rewrap(StoredKey(row.version, row.kek_id, row.wrapped))
                row.kek_id, row.wrapped = fresh.kek_id, fresh.wrapped
                moved += 1
        return moved
