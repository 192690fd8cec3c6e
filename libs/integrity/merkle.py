"""RFC 6962 §2.1 Merkle tree hashes (Certificate Transparency; the same in RFC 9162 §2.1).

MTH({}) = SHA-256(), leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right), a list of n > 1
split at the largest power of two below n. `MerkleTree` keeps only the roots of its perfect subtrees (at
most log2 n hashes), so a verifier walks a chain once and reads the root at any size on the way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class MerkleTree:
    """An append-only tree of leaf hashes; `root()` is MTH of everything appended so far."""

    def __init__(self) -> None:
        self.size = 0
        self._peaks: list[tuple[int, bytes]] = []  # (subtree size, root), sizes strictly decreasing

    def append(self, leaf: bytes) -> None:
        size, node = 1, leaf
        while self._peaks and self._peaks[-1][0] == size:
            left_size, left = self._peaks.pop()
            size, node = left_size + size, node_hash(left, node)
        self._peaks.append((size, node))
        self.size += 1

    def root(self) -> bytes:
        if not self._peaks:
            return EMPTY_ROOT
        # The split at the largest power of two makes the leftmost perfect subtree the left child at each
        # level: fold the peaks from the right.
        node = self._peaks[-1][1]
        for _, left in reversed(self._peaks[:-1]):
            node = node_hash(left, node)
        return node


def merkle_root(leaves: Iterable[bytes]) -> bytes:
    """MTH over leaf hashes (already `leaf_hash`ed)."""
    tree = MerkleTree()
    for leaf in leaves:
        tree.append(leaf)
    return tree.root()
