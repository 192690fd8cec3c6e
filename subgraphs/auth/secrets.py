"""Random secrets and their stored form: refresh tokens, one-time links, 2FA challenges, OAuth state.

Only SHA-256 hashes of these high-entropy values are stored; passwords are another matter (`passwords.py`).
"""

from __future__ import annotations

import hashlib
import secrets


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    """For high-entropy secrets only (refresh tokens, links, backup codes); passwords use argon2id."""
    return hashlib.sha256(value.encode()).hexdigest()
