"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import asyncio
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from libs.config import SettingsError
from libs.errors import BadUserInput

MIN_LENGTH = 10
MAX_LENGTH = 256  # bounds the hashing work an attacker can ask for


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships a ranked list of 30,000 passwords seen in breaches; loaded on first use, not at import.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_policy(password: str | None, *, field: str = "password", email: str | None = None) -> str:
    if not password:
        raise BadUserInput("password is required", field=field)
    if len(password) < MIN_LENGTH:
        raise BadUserInput(f"password must have at least {MIN_LENGTH} characters", field=field)
    if len(password) > MAX_LENGTH:
        raise BadUserInput(f"password must have at most {MAX_LENGTH} characters", field=field)
    lowered = password.lower()
    if lowered in _common_passwords() or (email and lowered == email.lower()):
        raise BadUserInput("this password is too common; choose another", field=field)
    return password


OWASP_MIN_MEMORY_KIB, OWASP_MIN_TIME_COST = 19 * 1024, 2


class Passwords:
    """argon2id; hashing runs off the event loop."""

    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4,
                 production: bool = False) -> None:
        if production and (memory_kib < OWASP_MIN_MEMORY_KIB or time_cost < OWASP_MIN_TIME_COST):
            raise SettingsError("argon2id cost below the OWASP minimum (19 MiB, 2 passes) is refused in prod")
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
        # Verified against when the email is unknown, so both answers cost the same time.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            ok = self._hasher.verify(password_hash or self._dummy_hash, password[:MAX_LENGTH])
        except (VerificationError, InvalidHashError):
            return False
        return bool(ok) and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
