"""Encryption at rest for authentication secrets we must read back (TOTP seeds): AES-256-GCM.

PIPA's safety-measure standard (Art. 7) asks for authentication information to be stored encrypted; passwords
are one-way hashed, but a TOTP seed has to be recovered to check codes, so it is encrypted instead. The key
comes from AUTH_SECRETS_KEY (32 bytes, base64); dev and test derive one, prod refuses to start without it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from libs.config import Settings, SettingsError

PREFIX = "v1:"


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise SettingsError("AUTH_SECRETS_KEY must be 32 bytes (base64-encoded)")
        self._aead = AESGCM(key)

    @classmethod
    def from_settings(cls, settings: Settings, configured: str | None) -> SecretBox:
        if configured:
            try:
                return cls(base64.b64decode(configured, validate=True))
            except (binascii.Error, ValueError):
                raise SettingsError("AUTH_SECRETS_KEY must be base64 of 32 random bytes")
        if settings.env == "prod":
            raise SettingsError("AUTH_SECRETS_KEY (base64 of 32 random bytes) is required in prod")
        return cls(hashlib.sha256(b"manpasik-auth-secrets:" + settings.jwt_secret.encode()).digest())

    def seal(self, plaintext: str, *, context: str) -> str:
        """`context` (e.g. the user id) is bound in: a sealed value copied to another row does not open."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, value: str, *, context: str) -> str:
        raw = base64.urlsafe_b64decode(value.removeprefix(PREFIX).encode())
        return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
