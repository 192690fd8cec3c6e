"""NTAG 424 DNA Secure Unique NFC (SUN) messages: decrypt the PICC data, check the truncated AES-CMAC.

Layout and key derivation per NXP AN12196 ("NTAG 424 DNA features and hints", §3.4 SDM, §3.5 SUN):
  PICCData   = AES-128-CBC(K_SDMMetaRead, IV=0) of  tag(1) | UID(7) | SDMReadCtr(3, LSB first) | random(5)
               where tag bit 7 = UID mirrored, bit 6 = counter mirrored, bits 0-3 = UID length.
  K_SesSDMFileReadMAC = AES-CMAC(K_SDMFileRead, 3CC3 0001 0080 | UID | SDMReadCtr)
  SDMMAC     = the odd-indexed bytes (1, 3, ..., 15) of AES-CMAC(K_Ses, MAC input); our URL has no mirrored
               file data after the PICC data, so the MAC input is empty.
One AES-128 key per cartridge lot serves as both SDM keys (MEASUREMENT_CARTRIDGE_SUN_KEYS, `parse_keys`).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

UID_LENGTH = 7
_SV2_PREFIX = bytes.fromhex("3CC300010080")
_HEX = re.compile(r"[0-9A-Fa-f]+")


class SunError(ValueError):
    """The message is malformed or its MAC does not verify."""


@dataclass(frozen=True, slots=True)
class SunReading:
    uid: str  # upper-case hex, 14 digits
    counter: int


def parse_key(hex_key: str) -> bytes:
    key = bytes.fromhex(hex_key)
    if len(key) != 16:
        raise ValueError("a SUN key is 16 bytes (32 hex digits)")
    return key


def parse_keys(spec: str) -> dict[str, bytes]:
    """`"LOT-A:00112233...,LOT-B:..."` -> {lot: 16-byte key}; refuses a malformed entry."""
    keys: dict[str, bytes] = {}
    for entry in filter(None, (e.strip() for e in spec.split(","))):
        lot, sep, hex_key = entry.rpartition(":")
        if not sep or not lot:
            raise ValueError(
                f"MEASUREMENT_CARTRIDGE_SUN_KEYS entry for {lot or entry[:8]!r} must be lot:hexkey"
            )
        keys[lot.strip()] = parse_key(hex_key.strip())
    return keys


def parse_message(message: str) -> tuple[bytes, bytes]:
    """(picc_data, cmac) from `picc_data=..&cmac=..`, with or without the URL in front."""
    query = urlsplit(message.strip()).query if "?" in message else message.strip()
    params = parse_qs(query)
    picc, mac = (params.get(k, [""])[0] for k in ("picc_data", "cmac"))
    if len(picc) != 32 or len(mac) != 16 or not _HEX.fullmatch(picc) or not _HEX.fullmatch(mac):
        raise SunError("authMessage must be picc_data=<32 hex>&cmac=<16 hex>")
    return bytes.fromhex(picc), bytes.fromhex(mac)


def _cmac(key: bytes, data: bytes) -> bytes:
    c = CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()


def _sdm_mac(key: bytes, uid: bytes, counter: bytes) -> bytes:
    session_key = _cmac(key, _SV2_PREFIX + uid + counter)  # exactly 16 bytes: no padding needed
    return _cmac(session_key, b"")[1::2]


def verify(key: bytes, message: str) -> SunReading:
    picc, mac = parse_message(message)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).decryptor()
    plain = decryptor.update(picc) + decryptor.finalize()
    tag = plain[0]
    # A wrong key or a tampered PICC data decrypts to noise: the tag byte is the first thing that breaks.
    if tag & 0xC0 != 0xC0 or tag & 0x0F != UID_LENGTH:
        raise SunError("PICC data does not decrypt under this lot's key")
    uid, counter = plain[1:8], plain[8:11]
    if not hmac.compare_digest(_sdm_mac(key, uid, counter), mac):
        raise SunError("SUN MAC does not verify")
    return SunReading(uid=uid.hex().upper(), counter=int.from_bytes(counter, "little"))


def encode(key: bytes, uid_hex: str, counter: int, padding: bytes = bytes(5)) -> str:
    """What a cartridge's tag would emit (for the dev seed, tests and benchmarks; a tag never calls us)."""
    uid = bytes.fromhex(uid_hex)
    if len(uid) != UID_LENGTH or len(padding) != 5:
        raise ValueError("UID is 7 bytes, padding 5")
    ctr = counter.to_bytes(3, "little")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    picc = encryptor.update(bytes([0xC0 | UID_LENGTH]) + uid + ctr + padding) + encryptor.finalize()
    return f"picc_data={picc.hex().upper()}&cmac={_sdm_mac(key, uid, ctr).hex().upper()}"
