"""Every query of the auth subgraph. Methods only add and flush; the request's unit of work commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.events import CloudEvent, add_to_outbox
from libs.events.streams import AUTH_STREAM
from subgraphs.auth.models import (
    AuthOutbox,
    BackupCodeRow,
    OAuthIdentityRow,
    OneTimeTokenRow,
    RefreshTokenRow,
    SecurityEventRow,
    SessionRow,
    UserRow,
)


class AuthRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def flush(self) -> None:
        await self.session.flush()

    # ---- users
    async def user_by_id(self, user_id: str, *, for_update: bool = False) -> UserRow | None:
        return await self.session.get(UserRow, user_id, with_for_update=for_update or None)

    async def user_by_email(self, email: str) -> UserRow | None:
        result = await self.session.exec(select(UserRow).where(UserRow.email == email))
        return result.first()

    async def users_by_ids(self, ids: Sequence[str]) -> list[UserRow]:
        if not ids:
            return []
        result = await self.session.exec(select(UserRow).where(col(UserRow.id).in_(list(ids))))
        return list(result.all())

    async def search_users(self, search: str | None, limit: int,
                           after: tuple[datetime, str] | None) -> list[UserRow]:
        """Newest first; keyset pagination on (created_at, id)."""
        q = select(UserRow).order_by(col(UserRow.created_at).desc(), col(UserRow.id).desc()).limit(limit)
        if search:
            pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            q = q.where(or_(col(UserRow.email).like(pattern, escape="\\"),
                            func.lower(UserRow.display_name).like(pattern, escape="\\")))
        if after is not None:
            created, user_id = after
            q = q.where(or_(col(UserRow.created_at) < created,
                            and_(col(UserRow.created_at) == created, col(UserRow.id) < user_id)))
        return list((await self.session.exec(q)).all())

    def add(self, row: object) -> None:
        self.session.add(row)

    # ---- sessions and refresh tokens
    async def sessions_of_users(self, user_ids: Sequence[str], *, active_at: datetime) -> list[SessionRow]:
        q = (
            select(SessionRow)
            .where(
                col(SessionRow.user_id).in_(list(user_ids)),
                col(SessionRow.revoked_at).is_(None),
                SessionRow.expires_at > active_at,
            )
            .order_by(col(SessionRow.last_used_at).desc())
        )
        return list((await self.session.exec(q)).all())

    async def session_by_id(self, session_id: str) -> SessionRow | None:
        return await self.session.get(SessionRow, session_id)

    async def sessions_of(self, user_id: str, *, active_at: datetime) -> list[SessionRow]:
        q = (
            select(SessionRow)
            .where(
                SessionRow.user_id == user_id,
                col(SessionRow.revoked_at).is_(None),
                SessionRow.expires_at > active_at,
            )
            .order_by(col(SessionRow.last_used_at).desc())
        )
        return list((await self.session.exec(q)).all())

    async def refresh_token(self, token_hash: str, *, for_update: bool = False) -> RefreshTokenRow | None:
        q = select(RefreshTokenRow).where(RefreshTokenRow.token_hash == token_hash)
        if for_update:
            q = q.with_for_update()
        return (await self.session.exec(q)).first()

    async def retire_refresh_token(self, token_hash: str, at: datetime) -> bool:
        """Marks an unused token used; False when another request already did (a concurrent reuse)."""
        result = await self.session.execute(
            update(RefreshTokenRow)
            .where(col(RefreshTokenRow.token_hash) == token_hash, col(RefreshTokenRow.used_at).is_(None))
            .values(used_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def revoke_sessions(self, session_ids: Sequence[str], at: datetime, reason: str) -> None:
        if not session_ids:
            return
        await self.session.execute(
            update(SessionRow)
            .where(col(SessionRow.id).in_(list(session_ids)), col(SessionRow.revoked_at).is_(None))
            .values(revoked_at=at, revoke_reason=reason)
        )

    # ---- 2FA backup codes
    async def unused_backup_codes(self, user_id: str) -> list[BackupCodeRow]:
        q = select(BackupCodeRow).where(
            BackupCodeRow.user_id == user_id, col(BackupCodeRow.used_at).is_(None)
        )
        return list((await self.session.exec(q)).all())

    async def delete_backup_codes(self, user_id: str) -> None:
        await self.session.execute(delete(BackupCodeRow).where(col(BackupCodeRow.user_id) == user_id))

    # ---- social identities
    async def identity(self, provider: str, subject: str) -> OAuthIdentityRow | None:
        q = select(OAuthIdentityRow).where(
            OAuthIdentityRow.provider == provider, OAuthIdentityRow.subject == subject
        )
        return (await self.session.exec(q)).first()

    # ---- one-time tokens (email verification, password reset)
    async def one_time_token(self, token_hash: str, purpose: str) -> OneTimeTokenRow | None:
        q = (
            select(OneTimeTokenRow)
            .where(OneTimeTokenRow.token_hash == token_hash, OneTimeTokenRow.purpose == purpose)
            .with_for_update()
        )
        return (await self.session.exec(q)).first()

    # ---- domain events for other subgraphs (transactional outbox)
    def publish(self, event: CloudEvent) -> None:
        add_to_outbox(self.session, AuthOutbox, AUTH_STREAM, event)

    # ---- security events
    def record_event(
        self,
        kind: str,
        *,
        user_id: str | None = None,
        actor_id: str | None = None,
        session_id: str | None = None,
        ip: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.session.add(
            SecurityEventRow(
                kind=kind, user_id=user_id, actor_id=actor_id, session_id=session_id, ip=ip, reason=reason
            )
        )

    async def events_of(self, user_id: str, kind: str | None = None) -> list[SecurityEventRow]:
        q = (
            select(SecurityEventRow)
            .where(SecurityEventRow.user_id == user_id)
            .order_by(col(SecurityEventRow.id))
        )
        if kind:
            q = q.where(SecurityEventRow.kind == kind)
        return list((await self.session.exec(q)).all())
