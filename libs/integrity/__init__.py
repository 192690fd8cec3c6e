"""Tamper evidence for health records and audit entries: content digests, hash chains, RFC 6962 Merkle trees.

    digest = content_digest({"measurementId": ..., "value": 7.1, ...})   # the owner, at write time
    block = link(prev_hash, {"seq": 7, "recordId": ..., "digest": digest, "at": ..., "writer": ...})
    verify_links(blocks)        # index of the first block whose hash or link is wrong, or None
    acc = MerkleTree(); acc.append(block.leaf_hash); acc.root()           # checkpoint (tree size, root)

How the pieces meet (docs/DATA-PROTECTION.md): the subgraph that owns a health record computes its digest in
the same write (a hash, no extra round trip) and publishes it with the record's event; the data subgraph
appends (digest, previous hash, time, writer) to its chain and checkpoints Merkle roots; a check re-hashes
the records where they are stored and compares.
"""

from libs.integrity.chain import ChainBlock, Link, link, verify_links
from libs.integrity.digest import canonical_bytes, content_digest
from libs.integrity.merkle import EMPTY_ROOT, MerkleTree, leaf_hash, merkle_root

__all__ = [
    "EMPTY_ROOT",
    "ChainBlock",
    "Link",
    "MerkleTree",
    "canonical_bytes",
    "content_digest",
    "leaf_hash",
    "link",
    "merkle_root",
    "verify_links",
]
