"""Hash chains: each block's leaf hash covers its entry and the previous block's hash (Crosby & Wallach's
history, with RFC 6962 leaf hashing), so editing, dropping or reordering a block breaks every later link."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from libs.integrity.digest import canonical_bytes
from libs.integrity.merkle import leaf_hash

GENESIS = "0" * 64  # the `prev` of a chain's first block


class ChainBlock(Protocol):
    """What a stored block gives the verifier: its entry (without the hashes), `prev_hash`, `leaf_hash`."""

    prev_hash: str
    leaf_hash: str

    def entry(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Link:
    prev_hash: str
    leaf_hash: str


def link(prev_hash: str, entry: Mapping[str, Any]) -> Link:
    """The hashes of a new block after `prev_hash` (GENESIS for the first)."""
    body = canonical_bytes({**entry, "prev": prev_hash})
    return Link(prev_hash, leaf_hash(body).hex())


def verify_links(blocks: Sequence[ChainBlock], prev_hash: str = GENESIS) -> int | None:
    """The index of the first block whose leaf hash does not match its entry or whose `prev` is not the
    block before it; None when the whole run verifies. `prev_hash`: the hash before `blocks[0]`."""
    for i, block in enumerate(blocks):
        if block.prev_hash != prev_hash or link(prev_hash, block.entry()).leaf_hash != block.leaf_hash:
            return i
        prev_hash = block.leaf_hash
    return None
