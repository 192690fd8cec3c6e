"""The request's viewer: the authenticated user (or nobody) and their roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    USER = "USER"
    DOCTOR = "DOCTOR"
    SUPPORT = "SUPPORT"
    ADMIN = "ADMIN"


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: str | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    session_id: str | None = None
    token_id: str | None = None
    expires_at: int | None = None  # the access token's `exp` (revoking it needs the remaining lifetime)
    # Why a presented token was refused (expired, revoked, ...): reported instead of a bare "log in".
    auth_error: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    def has_role(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)


ANONYMOUS = Viewer()
