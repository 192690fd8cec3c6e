"""Integrity checks: verify both chains (every link, every Merkle checkpoint) and compare each stored health
record, re-hashed by the subgraph that stores it, with the digest chained when it was written.

A check is asynchronous: `start` records it and publishes `data.integrity_check_requested`; the data worker
verifies the chains (`verify_chains`), and each health-record subgraph answers with its records' digests
(`integrity.records_hashed`, in pages, the last one marked). The check ends when the chains are verified and
every expected domain has answered: `ok`, or not, naming the first bad block ("records:17", "audit:4").
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from libs.events import CloudEvent, DropEvent
from libs.events.staff import staff_action
from libs.events.streams import (
    DATA_INTEGRITY_CHECK_REQUESTED,
    DATA_INTEGRITY_FAILED,
    DATA_STREAM,
    INTEGRITY_RECORDS_HASHED,
)
from libs.integrity import MerkleTree, verify_links
from libs.integrity.chain import GENESIS
from subgraphs.data.models import AUDIT_CHAIN, RECORDS_CHAIN, CheckpointRow, CheckRecordRow, IntegrityCheckRow
from subgraphs.data.repository import DataRepository
from subgraphs.data.service.deps import SOURCE, DataDeps

PAGE = 2000
MAX_PROBLEMS = 20


def _block_id(chain: str, seq: int) -> str:
    return f"{chain}:{seq}"


class IntegrityService:
    def __init__(self, repo: DataRepository, deps: DataDeps) -> None:
        self.repo = repo
        self.deps = deps

    async def start(self, requested_by: str) -> IntegrityCheckRow:
        head = await self.repo.head(RECORDS_CHAIN)
        check = IntegrityCheckRow(
            id=str(uuid.uuid4()),
            requested_by=requested_by,
            started_at=self.deps.clock(),
            records_at_start=head.size,
            pending_domains=self.deps.own.domains(),
            problems=[],
        )
        self.repo.add(check)
        self.repo.add_event(
            DATA_STREAM,
            CloudEvent.new(
                DATA_INTEGRITY_CHECK_REQUESTED,
                SOURCE,
                check.id,
                {"checkId": check.id, "domains": check.pending_domains},
            ),
        )
        self.repo.add_event(DATA_STREAM, staff_action(SOURCE, requested_by, "INTEGRITY_CHECK_STARTED",
                                                      resource_id=check.id))
        return check

    async def checks(self, first: int) -> list[IntegrityCheckRow]:
        return await self.repo.checks(first)

    # -- the chains -----------------------------------------------------------------------------------------

    async def verify_chains(self, check_id: str) -> IntegrityCheckRow | None:
        check = await self.repo.check(check_id, lock=True)
        if check is None or check.chains_verified:
            return check
        blocks = 0
        for chain in (RECORDS_CHAIN, AUDIT_CHAIN):
            count, bad, problem = await self._verify(chain)
            blocks += count
            if bad is not None:
                self._bad(check, _block_id(chain, bad), problem)
        check.blocks_checked += blocks
        check.chains_verified = True
        self._finish_if_done(check)
        return check

    async def _verify(self, chain: str) -> tuple[int, int | None, str]:
        """(blocks walked, first bad seq or None, what is wrong); writes a checkpoint when all is well."""
        rows_of = self.repo.blocks if chain == RECORDS_CHAIN else self.repo.audit_rows
        first_seq = 0 if chain == RECORDS_CHAIN else (await self.repo.first_audit_seq() or 0)
        checkpoints = {c.tree_size: c.root_hash for c in await self.repo.checkpoints(chain)}
        # Audit retention removes the oldest entries: the chain then verifies from the first kept one, and
        # only checkpoints taken since are comparable.
        tree, prev, after, count = MerkleTree(), None, first_seq - 1, 0
        comparable = first_seq == 0
        while True:
            rows: Sequence[Any] = await rows_of(after, PAGE)
            if not rows:
                break
            if prev is None:
                prev = rows[0].prev_hash if first_seq > 0 else GENESIS
            if rows[0].seq != after + 1:
                return count, after + 1, f"{chain} chain: entry {after + 1} is missing"
            bad = verify_links(rows, prev)
            if bad is not None:
                seq = rows[bad].seq
                return count + bad, seq, f"{chain} chain: entry {seq} does not match its hash or link"
            for i, row in enumerate(rows):
                if row.seq != after + 1 + i:
                    return count + i, after + 1 + i, f"{chain} chain: entry {after + 1 + i} is missing"
                tree.append(bytes.fromhex(row.leaf_hash))
                size = row.seq + 1
                if comparable and size in checkpoints and tree.root().hex() != checkpoints[size]:
                    return count + i, row.seq, f"{chain} chain: checkpoint at size {size} does not match"
            count += len(rows)
            prev, after = rows[-1].leaf_hash, rows[-1].seq
        head = await self.repo.head(chain)
        if head.size != after + 1:
            return (
                count,
                after + 1,
                f"{chain} chain: {head.size - after - 1} entries before the head are missing",
            )
        if comparable and tree.size and tree.size not in checkpoints:
            self.repo.add(
                CheckpointRow(
                    chain=chain, tree_size=tree.size, root_hash=tree.root().hex(), at=self.deps.clock()
                )
            )
        return count, None, ""

    # -- the stored records ---------------------------------------------------------------------------------

    async def records_hashed(self, event: CloudEvent) -> IntegrityCheckRow | None:
        """One page of a domain's answer: each (record id, digest of what is stored now)."""
        if event.type != INTEGRITY_RECORDS_HASHED:
            return None
        try:
            check_id, domain = str(event.data["checkId"]), str(event.data["domain"])
            records = [(str(r[0]), str(r[1])) for r in event.data["records"]]
            last = bool(event.data["last"])
        except (KeyError, TypeError, IndexError) as e:
            raise DropEvent(f"malformed {event.type}: {e!r}") from e
        check = await self.repo.check(check_id, lock=True)
        if check is None or check.finished_at is not None or domain not in check.pending_domains:
            return check  # not ours, or a late or repeated answer
        ids = [rid for rid, _ in records]
        seen = await self.repo.reported(check_id, domain, ids)
        blocks = await self.repo.latest_blocks(domain, ids)
        for record_id, digest in records:
            if record_id in seen:
                continue
            seen.add(record_id)
            self.repo.add(CheckRecordRow(check_id=check_id, domain=domain, record_id=record_id))
            block = blocks.get(record_id)
            if block is None or block.seq >= check.records_at_start:
                continue  # written after the check began: the next check covers it
            if block.erased_at is not None:
                self._bad(check, None, f"{domain} {record_id}: erased, but still stored")
            elif block.digest != digest:
                self._bad(
                    check,
                    _block_id(RECORDS_CHAIN, block.seq),
                    f"{domain} {record_id}: stored content does not match block {block.seq}",
                )
        check.records_checked += len(records)
        if last:
            await self.repo.session.flush()
            for block in await self.repo.unreported_blocks(check_id, domain, check.records_at_start):
                self._bad(
                    check,
                    _block_id(RECORDS_CHAIN, block.seq),
                    f"{domain} {block.record_id}: missing from its store (block {block.seq})",
                )
            check.pending_domains = [d for d in check.pending_domains if d != domain]
        self._finish_if_done(check)
        return check

    # -- outcome --------------------------------------------------------------------------------------------

    @staticmethod
    def _bad(check: IntegrityCheckRow, block_id: str | None, problem: str) -> None:
        if block_id is not None and _earlier(block_id, check.first_bad_block):
            check.first_bad_block = block_id
        if len(check.problems) < MAX_PROBLEMS:
            check.problems = [*check.problems, problem]

    def _finish_if_done(self, check: IntegrityCheckRow) -> None:
        if not check.chains_verified or check.pending_domains or check.finished_at is not None:
            return
        check.ok = not check.problems
        check.finished_at = self.deps.clock()
        if not check.ok:
            self.repo.add_event(
                DATA_STREAM,
                CloudEvent.new(
                    DATA_INTEGRITY_FAILED,
                    SOURCE,
                    check.id,
                    {"checkId": check.id, "firstBadBlock": check.first_bad_block, "problems": check.problems},
                ),
            )


def _earlier(candidate: str, current: str | None) -> bool:
    """Records before audit, then by sequence number."""
    if current is None:
        return True
    order = {RECORDS_CHAIN: 0, AUDIT_CHAIN: 1}
    c_chain, c_seq = candidate.split(":")
    k_chain, k_seq = current.split(":")
    return (order[c_chain], int(c_seq)) < (order[k_chain], int(k_seq))
