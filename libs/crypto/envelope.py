"""Data keys (DEKs) wrapped by key-encryption keys (KEKs), and AES-256-GCM blobs under them."""

from __future__ import annotations

import base64
import binascii
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
BLOB_FORMAT = 1
_HEADER = struct.Struct(">BI")  # format, data-key version


class DecryptionFailed(Exception):
    """Wrong key, wrong associated data, or a modified ciphertext (never says which: no oracle)."""


class KeyWrapper(Protocol):
    """What wraps data keys: the KEKs from settings (`LocalKeks`) or a KMS adapter (AWS KMS Encrypt/Decrypt,
    Google Cloud KMS, NAVER Cloud KMS all fit: an id for the key in use, wrap, unwrap by the id written)."""

    @property
    def active_id(self) -> str: ...

    async def wrap(self, plaintext_key: bytes, context: bytes) -> tuple[str, bytes]:
        """(id of the KEK used, wrapped key)."""
        ...

    async def unwrap(self, kek_id: str, wrapped: bytes, context: bytes) -> bytes: ...


@dataclass(frozen=True)
class LocalKeks:
    """KEKs held in settings: `kid:base64key,kid:base64key`, the first wraps, all unwrap (rotation: put the
    new one first, keep the old until the re-wrap is done)."""

    keys: dict[str, bytes] = field(repr=False)
    order: tuple[str, ...]

    @classmethod
    def parse(cls, spec: str) -> LocalKeks:
        keys: dict[str, bytes] = {}
        order = []
        for part in filter(None, (p.strip() for p in spec.split(","))):
            kid, sep, b64 = part.partition(":")
            try:
                key = base64.b64decode(b64, validate=True) if sep else b""
            except binascii.Error:
                key = b""
            if not kid or len(key) != KEY_BYTES:
                raise ValueError(f"key-encryption key {kid or '?'!r} is not 'id:base64 of 32 bytes'")
            keys[kid] = key
            order.append(kid)
        if not order:
            raise ValueError("no key-encryption key configured")
        return cls(keys, tuple(order))

    @property
    def active_id(self) -> str:
        return self.order[0]

    async def wrap(self, plaintext_key: bytes, context: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        return self.active_id, nonce + AESGCM(self.keys[self.active_id]).encrypt(
            nonce, plaintext_key, context
        )

    async def unwrap(self, kek_id: str, wrapped: bytes, context: bytes) -> bytes:
        kek = self.keys.get(kek_id)
        if kek is None:
            raise DecryptionFailed(f"key-encryption key {kek_id!r} is not configured")
        try:
            return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], context)
        except InvalidTag:
            raise DecryptionFailed("a data key did not unwrap") from None


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def key_context(version: int) -> bytes:
    """What a wrapped data key is bound to: its version (a wrapped key cannot pose as another version)."""
    return f"manpasik-data-key:{version}".encode()


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A data key as its owner stores it: only ever wrapped."""

    version: int
    kek_id: str
    wrapped: bytes = field(repr=False)


def blob_version(blob: bytes) -> int:
    """The data-key version a blob was encrypted under (the re-wrap job looks for old ones)."""
    if len(blob) < _HEADER.size or blob[0] != BLOB_FORMAT:
        raise DecryptionFailed("not an encrypted blob")
    return int(_HEADER.unpack_from(blob)[1])


class DataKeys:
    """The unwrapped data keys of one subgraph, in memory, and the active version for new data."""

    def __init__(self, keks: KeyWrapper) -> None:
        self.keks = keks
        self._keys: dict[int, bytes] = {}
        self.active: int | None = None

    def __repr__(self) -> str:
        return f"DataKeys(versions={sorted(self._keys)}, active={self.active})"

    async def load(self, stored: Iterable[StoredKey], active: int | None) -> None:
        keys = {
            k.version: await self.keks.unwrap(k.kek_id, k.wrapped, key_context(k.version)) for k in stored
        }
        self._keys, self.active = keys, active

    async def sync(self, stored: Iterable[StoredKey], active: int | None) -> None:
        """Matches the stored keys: unwraps versions not yet in memory, forgets destroyed ones."""
        stored = list(stored)
        for k in stored:
            if k.version not in self._keys:
                self._keys[k.version] = await self.keks.unwrap(k.kek_id, k.wrapped, key_context(k.version))
        keep = {k.version for k in stored}
        self._keys = {v: key for v, key in self._keys.items() if v in keep}
        self.active = active

    async def create(self, version: int) -> tuple[StoredKey, bytes]:
        """A new data key: (what to store, the key itself). Not active until `use` says so."""
        key = new_data_key()
        kek_id, wrapped = await self.keks.wrap(key, key_context(version))
        return StoredKey(version, kek_id, wrapped), key

    def use(self, version: int, key: bytes, *, active: bool) -> None:
        self._keys[version] = key
        if active:
            self.active = version

    def forget(self, version: int) -> None:
        self._keys.pop(version, None)

    async def rewrap(self, stored: StoredKey) -> StoredKey:
        """The same data key wrapped by the active KEK (after a KEK rotation; the data is untouched)."""
        key = await self.keks.unwrap(stored.kek_id, stored.wrapped, key_context(stored.version))
        kek_id, wrapped = await self.keks.wrap(key, key_context(stored.version))
        return StoredKey(stored.version, kek_id, wrapped)

    def key(self, version: int) -> bytes:
        try:
            return self._keys[version]
        except KeyError:
            raise DecryptionFailed(f"data key version {version} is not available") from None

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        if self.active is None:
            raise RuntimeError("no active data key")
        header = _HEADER.pack(BLOB_FORMAT, self.active)
        nonce = os.urandom(NONCE_BYTES)
        return header + nonce + AESGCM(self.key(self.active)).encrypt(nonce, plaintext, header + aad)

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        version = blob_version(blob)
        header, rest = blob[: _HEADER.size], blob[_HEADER.size :]
        try:
            return AESGCM(self.key(version)).decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], header + aad)
        except InvalidTag:
            raise DecryptionFailed("a blob did not decrypt") from None
