"""Short-lived signed download links for exports: HMAC-SHA256 over (export id, owner id, expiry) with a key
derived from the active KEK (HKDF), so a link names one export for one owner for a few minutes, and no
database row is needed to check it."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from subgraphs.data.errors import InvalidLink


def derive_key(secret: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"manpasik-export-links").derive(secret)


@dataclass(frozen=True)
class ExportLinks:
    base_url: str
    ttl_s: int
    key: bytes = field(repr=False)

    def _sig(self, export_id: str, user_id: str, expires: int) -> str:
        msg = f"{export_id}\n{user_id}\n{expires}".encode()
        return hmac.new(self.key, msg, hashlib.sha256).hexdigest()

    def url(self, export_id: str, user_id: str, now: datetime) -> str:
        expires = int(now.timestamp()) + self.ttl_s
        query = urlencode(
            {"user": user_id, "expires": expires, "sig": self._sig(export_id, user_id, expires)}
        )
        return f"{self.base_url.rstrip('/')}/exports/{export_id}/download?{query}"

    def verify(self, export_id: str, user_id: str, expires: str, sig: str, now: datetime) -> None:
        try:
            at = int(expires)
        except ValueError:
            raise InvalidLink("is malformed") from None
        if not hmac.compare_digest(self._sig(export_id, user_id, at), sig):
            raise InvalidLink("is not valid")
        if now.timestamp() > at:
            raise InvalidLink("has expired")
