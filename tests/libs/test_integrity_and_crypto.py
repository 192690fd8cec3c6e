"""libs.integrity (digests, chains, RFC 6962 Merkle trees) and libs.crypto (envelope encryption, files)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from libs.crypto import DataKeys, DecryptionFailed, LocalKeks, decrypt_file, encrypt_file
from libs.integrity import EMPTY_ROOT, MerkleTree, content_digest, leaf_hash, link, merkle_root, verify_links
from libs.integrity.chain import GENESIS
from libs.integrity.merkle import node_hash

# RFC 6962 test leaves and roots (certificate-transparency's merkle tree tests).
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 as written: the definition the incremental tree must agree with."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def test_merkle_roots_match_rfc_6962() -> None:
    assert merkle_root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    tree = MerkleTree()
    for i, leaf in enumerate(LEAVES):
        tree.append(leaf_hash(leaf))
        assert tree.root().hex() == ROOTS[i], i
    entries = [os.urandom(i % 7) for i in range(70)]
    tree = MerkleTree()
    for n, entry in enumerate(entries, start=1):
        tree.append(leaf_hash(entry))
        assert tree.root() == mth(entries[:n]), n


def test_digests_are_canonical() -> None:
    at = datetime(2026, 1, 1, 9, 30, 0, 123456, tzinfo=UTC)
    a = content_digest({"b": 7.0, "a": at, "none": None, "list": [1, 2]})
    # Key order, an absent null, 7 vs 7.0, the zone and sub-millisecond digits do not change it ...
    kst = at.astimezone(timezone(timedelta(hours=9)))
    assert a == content_digest({"list": [1, 2], "a": kst.replace(microsecond=123999), "b": 7})
    assert a == content_digest({"list": [1, 2], "a": at.replace(tzinfo=None), "b": 7})  # naive = UTC (Mongo)
    # ... any change of content does.
    assert a != content_digest({"b": 7.01, "a": at, "list": [1, 2]})
    assert a != content_digest({"b": 7, "a": at, "list": [2, 1]})
    with pytest.raises(ValueError):
        content_digest({"v": float("nan")})


class Block:
    def __init__(self, prev: str, entry: dict[str, object]) -> None:
        self._entry = entry
        hashes = link(prev, entry)
        self.prev_hash, self.leaf_hash = hashes.prev_hash, hashes.leaf_hash

    def entry(self) -> dict[str, object]:
        return self._entry


def chain(n: int) -> list[Block]:
    blocks, prev = [], GENESIS
    for i in range(n):
        block = Block(prev, {"seq": i, "digest": f"{i:064x}"})
        blocks.append(block)
        prev = block.leaf_hash
    return blocks


def test_a_chain_names_its_first_bad_block() -> None:
    blocks = chain(6)
    assert verify_links(blocks) is None
    blocks[3]._entry = {"seq": 3, "digest": "f" * 64}  # an edited entry
    assert verify_links(blocks) == 3
    blocks = chain(6)
    del blocks[2]  # a dropped block breaks the next link
    assert verify_links(blocks) == 2
    blocks = chain(6)
    blocks[4], blocks[5] = blocks[5], blocks[4]
    assert verify_links(blocks) == 4
    # A rewritten suffix verifies on its own links: that is what the Merkle checkpoints catch.
    honest = chain(4)
    forged = [*honest[:2], Block(honest[1].leaf_hash, {"seq": 2, "digest": "e" * 64})]
    assert verify_links(forged) is None
    assert merkle_root(bytes.fromhex(b.leaf_hash) for b in forged) != merkle_root(
        bytes.fromhex(b.leaf_hash) for b in honest[:3]
    )


def keks(*ids: str) -> LocalKeks:
    return LocalKeks.parse(",".join(f"{i}:{base64.b64encode(os.urandom(32)).decode()}" for i in ids))


async def test_envelope_encryption_binds_place_and_key_and_survives_rotation() -> None:
    keys = DataKeys(keks("k1"))
    stored1, key1 = await keys.create(1)
    keys.use(1, key1, active=True)
    blob = keys.encrypt(b"metformin 500 mg", b"prescriptions/rx-1")
    assert b"metformin" not in blob
    assert keys.decrypt(blob, b"prescriptions/rx-1") == b"metformin 500 mg"
    with pytest.raises(DecryptionFailed):
        keys.decrypt(blob, b"prescriptions/rx-2")  # moved to another row
    with pytest.raises(DecryptionFailed):
        keys.decrypt(blob[:-1] + bytes([blob[-1] ^ 1]), b"prescriptions/rx-1")
    stored2, key2 = await keys.create(2)
    keys.use(2, key2, active=True)
    assert keys.decrypt(blob, b"prescriptions/rx-1") == b"metformin 500 mg"  # old version still reads
    assert keys.decrypt(keys.encrypt(b"x", b"a"), b"a") == b"x"
    # Another process: only the wrapped keys and the KEK.
    fresh = DataKeys(keys.keks)
    await fresh.sync([stored1, stored2], active=2)
    assert fresh.decrypt(blob, b"prescriptions/rx-1") == b"metformin 500 mg"
    assert "metformin" not in repr(fresh) and key1.hex() not in repr(stored1)
    with pytest.raises(DecryptionFailed):
        await DataKeys(keks("k1")).sync([stored1], active=1)  # another KEK of the same name


async def test_kek_rotation_rewraps_data_keys() -> None:
    old = keks("old")
    keys = DataKeys(old)
    stored, key = await keys.create(1)
    both = LocalKeks({**keks("new").keys, **old.keys}, ("new", "old"))
    rewrapped = await DataKeys(both).rewrap(stored)
    assert rewrapped.kek_id == "new" and rewrapped.wrapped != stored.wrapped
    again = DataKeys(LocalKeks({"new": both.keys["new"]}, ("new",)))
    await again.sync([rewrapped], active=1)
    assert again.key(1) == key


def test_keks_refuse_malformed_settings() -> None:
    for spec in ("", "k1", "k1:notbase64!", f"k1:{base64.b64encode(b'short').decode()}"):
        with pytest.raises(ValueError):
            LocalKeks.parse(spec)


async def test_encrypted_files_round_trip_and_refuse_tampering(tmp_path: Path) -> None:
    k = keks("k1")
    for size in (0, 10, 3 * 1024 + 5):
        src, enc, out = tmp_path / f"s{size}", tmp_path / f"e{size}", tmp_path / f"o{size}"
        data = os.urandom(size)
        await asyncio.to_thread(src.write_bytes, data)
        await encrypt_file(src, enc, k, chunk=1024)
        await decrypt_file(enc, out, k)
        assert await asyncio.to_thread(out.read_bytes) == data
    raw = await asyncio.to_thread(enc.read_bytes)
    cut = tmp_path / "cut"
    await asyncio.to_thread(cut.write_bytes, raw[: len(raw) - 1040])  # the last chunk dropped
    with pytest.raises(DecryptionFailed):
        await decrypt_file(cut, tmp_path / "x", k)
    with pytest.raises(DecryptionFailed):
        await decrypt_file(enc, tmp_path / "y", keks("k1"))  # another key
