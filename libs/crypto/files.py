"""Large payloads (backups) as chunked AES-256-GCM under a fresh data key wrapped in the file's own header,
so the file restores with the KEK alone, without the database that lists our data keys.

Layout: MAGIC, header length (4 bytes), header JSON {kekId, wrappedKey, noncePrefix, chunk}, then chunks of
[length (4 bytes), ciphertext+tag]. Chunk i's nonce is the 8-byte random prefix + i; its associated data is
the header plus i and a last-chunk flag, so chunks cannot be reordered, dropped or the file cut short.
File work runs in a thread: a backup never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from libs.crypto.envelope import DecryptionFailed, KeyWrapper, new_data_key

MAGIC = b"MPSENC1\n"
CHUNK = 1 << 20
_LEN = struct.Struct(">I")
_CONTEXT = b"manpasik-file-key"


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">Q?", index, last)


def _seal(src: Path, dst: Path, key: bytes, header: bytes, prefix: bytes, chunk: int) -> None:
    aead = AESGCM(key)
    size = src.stat().st_size
    with src.open("rb") as fin, dst.open("wb") as fout:
        fout.write(MAGIC + _LEN.pack(len(header)) + header)
        index, done = 0, 0
        while True:
            data = fin.read(chunk)
            done += len(data)
            last = done >= size
            sealed = aead.encrypt(prefix + struct.pack(">I", index), data, _aad(header, index, last))
            fout.write(_LEN.pack(len(sealed)) + sealed)
            index += 1
            if last:
                return


async def encrypt_file(src: Path, dst: Path, keks: KeyWrapper, *, chunk: int = CHUNK) -> None:
    key = new_data_key()
    kek_id, wrapped = await keks.wrap(key, _CONTEXT)
    prefix = os.urandom(8)
    header = json.dumps(
        {
            "kekId": kek_id,
            "wrappedKey": base64.b64encode(wrapped).decode(),
            "noncePrefix": prefix.hex(),
            "chunk": chunk,
        }
    ).encode()
    await asyncio.to_thread(_seal, src, dst, key, header, prefix, chunk)


def _header(src: Path) -> tuple[bytes, dict[str, Any]]:
    with src.open("rb") as fin:
        if fin.read(len(MAGIC)) != MAGIC:
            raise DecryptionFailed("not an encrypted ManPaSik file")
        (length,) = _LEN.unpack(fin.read(_LEN.size))
        header = fin.read(length)
    try:
        return header, dict(json.loads(header))
    except ValueError:
        raise DecryptionFailed("not an encrypted ManPaSik file") from None


def _open(src: Path, dst: Path, key: bytes, header: bytes, prefix: bytes) -> None:
    aead = AESGCM(key)
    with src.open("rb") as fin, dst.open("wb") as fout:
        fin.seek(len(MAGIC) + _LEN.size + len(header))
        index = 0
        raw = fin.read(_LEN.size)
        while raw:
            (n,) = _LEN.unpack(raw)
            sealed = fin.read(n)
            raw = fin.read(_LEN.size)
            try:
                fout.write(
                    aead.decrypt(prefix + struct.pack(">I", index), sealed, _aad(header, index, not raw))
                )
            except InvalidTag:
                raise DecryptionFailed("the file was modified or cut short") from None
            index += 1
        if index == 0:
            raise DecryptionFailed("the file was cut short")


async def decrypt_file(src: Path, dst: Path, keks: KeyWrapper) -> None:
    header, meta = await asyncio.to_thread(_header, src)
    key = await keks.unwrap(meta["kekId"], base64.b64decode(meta["wrappedKey"]), _CONTEXT)
    await asyncio.to_thread(_open, src, dst, key, header, bytes.fromhex(meta["noncePrefix"]))
