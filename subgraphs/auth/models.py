"""Tables of the auth database. Secrets are stored only as hashes (passwords: argon2id; refresh tokens, backup
codes and one-time links: SHA-256 of a high-entropy random value)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from libs.events import OutboxBase
from libs.time import utcnow


def _ts(nullable: bool = False, index: bool = False) -> sa.Column:
    return sa.Column(sa.DateTime(timezone=True), nullable=nullable, index=index)


class UserRow(SQLModel, table=True):
    __tablename__ = "users"

    id: str = Field(primary_key=True, max_length=36)
    email: str = Field(max_length=320, sa_column_kwargs={"unique": True})  # normalized, lower case
    email_verified: bool = False
    display_name: str = Field(max_length=100)
    locale: str = Field(default="ko-KR", max_length=35)
    password_hash: str | None = None  # None for accounts created by social login only
    roles: str = Field(default="USER", max_length=100)  # comma-separated Role values
    status: str = Field(default="ACTIVE", max_length=20)  # ACTIVE | SUSPENDED
    phone: str | None = Field(default=None, max_length=20)  # E.164, for SMS codes
    # Sealed with AES-GCM (secretbox.py): the seed must be read back, so it cannot be hashed.
    totp_secret: str | None = Field(default=None, max_length=255)
    totp_pending_secret: str | None = Field(default=None, max_length=255)
    # Last accepted TOTP time step: a code of that step or earlier is a replay (RFC 6238 §5.2).
    totp_last_step: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_login_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    password_changed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    deletion_requested_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]


class SessionRow(SQLModel, table=True):
    """A login on one device; its refresh tokens form one rotation family."""

    __tablename__ = "sessions"

    id: str = Field(primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=36)
    device: str = Field(default="", max_length=200)
    ip: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_used_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    revoke_reason: str | None = Field(default=None, max_length=50)


class RefreshTokenRow(SQLModel, table=True):
    __tablename__ = "refresh_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    session_id: str = Field(foreign_key="sessions.id", index=True, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    # Set when rotated: presenting it again is reuse.
    used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class BackupCodeRow(SQLModel, table=True):
    __tablename__ = "backup_codes"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=36)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class OAuthIdentityRow(SQLModel, table=True):
    __tablename__ = "oauth_identities"
    __table_args__ = (sa.UniqueConstraint("provider", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=20)
    subject: str = Field(max_length=255)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=36)
    email: str | None = Field(default=None, max_length=320)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class OneTimeTokenRow(SQLModel, table=True):
    """Email verification and password reset links: single use, expiring."""

    __tablename__ = "one_time_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=36)
    purpose: str = Field(max_length=20)  # VERIFY_EMAIL | RESET_PASSWORD
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class SecurityEventRow(SQLModel, table=True):
    """Security-relevant facts (reuse detected, suspension, role grant...), with who acted and why."""

    __tablename__ = "security_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    kind: str = Field(max_length=50)
    user_id: str | None = Field(default=None, max_length=36, index=True)
    actor_id: str | None = Field(default=None, max_length=36)
    session_id: str | None = Field(default=None, max_length=36)
    ip: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=500)


class AuthOutbox(OutboxBase, table=True):
    """Events for other subgraphs (e.g. user.signed_up), committed with the change that caused them."""

    __tablename__ = "auth_outbox"
