"""Sessions and tokens: opening a session, refresh rotation with reuse detection, revocation."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from libs.auth.tokens import issue_access_token
from libs.time import as_utc, utcnow
from subgraphs.auth.errors import AccountSuspended, InvalidRefreshToken, RefreshTokenReused, SessionNotFound
from subgraphs.auth.models import RefreshTokenRow, SessionRow, UserRow
from subgraphs.auth.repository import AuthRepository
from subgraphs.auth.secrets import new_secret, sha256_hex
from subgraphs.auth.service.common import AuthDeps, ClientInfo, TokenPair

security_log = logging.getLogger("manpasik.security")

SUSPENDED = "SUSPENDED"


class SessionService:
    def __init__(self, repo: AuthRepository, deps: AuthDeps) -> None:
        self.repo = repo
        self.deps = deps
        self.settings = deps.settings

    async def open(self, user: UserRow, client: ClientInfo) -> TokenPair:
        now = utcnow()
        session = SessionRow(
            id=str(uuid.uuid4()),
            user_id=user.id,
            device=client.user_agent[:200],
            ip=client.ip,
            created_at=now,
            last_used_at=now,
            expires_at=now,
        )
        self.repo.add(session)
        user.last_login_at = now
        await self.repo.flush()
        return self._pair(user, session, now)

    def _pair(self, user: UserRow, session: SessionRow, now: datetime) -> TokenPair:
        refresh = new_secret()
        expires = now + timedelta(seconds=self.settings.refresh_token_ttl_s)
        self.repo.add(
            RefreshTokenRow(
                token_hash=sha256_hex(refresh), session_id=session.id, created_at=now, expires_at=expires
            )
        )
        session.expires_at = expires  # a family lives as long as its newest token: expiry on inactivity
        session.last_used_at = now
        access, _, _ = issue_access_token(self.settings, user.id, user.role_list, session.id)
        return TokenPair(
            access_token=access, refresh_token=refresh, expires_in=self.settings.access_token_ttl_s
        )

    async def refresh(self, refresh_token: str, client: ClientInfo) -> TokenPair:
        """Rotates: a new pair, the presented token retired. A retired token presented again means it was
        copied: the whole family is revoked (RFC 9700 §4.14.2) and the event recorded."""
        now = utcnow()
        token_hash = sha256_hex(refresh_token or "")
        row = await self.repo.refresh_token(token_hash, for_update=True)
        if row is None:
            raise InvalidRefreshToken()
        session = await self.repo.session_by_id(row.session_id)
        if session is None or session.revoked_at is not None:
            raise InvalidRefreshToken("this session has ended; log in again")
        if row.used_at is not None or not await self.repo.retire_refresh_token(token_hash, now):
            await self.revoke([session], reason="REFRESH_REUSE")
            self.repo.record_event(
                "REFRESH_TOKEN_REUSE", user_id=session.user_id, session_id=session.id, ip=client.ip
            )
            security_log.warning(
                "refresh token reuse: session %s of user %s revoked",
                session.id,
                session.user_id,
                extra={"user_id": session.user_id, "ip": client.ip},
            )
            raise RefreshTokenReused()
        if as_utc(row.expires_at) <= now:
            raise InvalidRefreshToken("refresh token expired; log in again")
        user = await self.repo.user_by_id(session.user_id)
        if user is None:
            raise InvalidRefreshToken()
        if user.status == SUSPENDED:
            raise AccountSuspended()
        if client.ip:
            session.ip = client.ip
        return self._pair(user, session, now)

    async def revoke(self, sessions: Sequence[SessionRow], *, reason: str) -> None:
        """Redis first: if the database write then fails, the tokens are refused anyway (fail safe)."""
        ids = [s.id for s in sessions]
        await self.deps.revocations.revoke_sessions(ids)
        await self.repo.revoke_sessions(ids, utcnow(), reason)

    async def log_out(
        self, user_id: str, session_id: str | None, token_id: str | None, token_exp: int | None
    ) -> None:
        if token_id and token_exp:
            await self.deps.revocations.revoke_token(token_id, token_exp)
        if session_id:
            session = await self.repo.session_by_id(session_id)
            if session is not None and session.user_id == user_id:
                await self.revoke([session], reason="LOGOUT")
        self.repo.record_event("LOGGED_OUT", user_id=user_id, session_id=session_id)

    async def list(self, user_id: str) -> list[SessionRow]:
        return await self.repo.sessions_of(user_id, active_at=utcnow())

    async def revoke_one(self, user_id: str, session_id: str, *, actor_id: str) -> None:
        """Someone else's session answers NOT_FOUND, exactly like one that does not exist."""
        session = await self.repo.session_by_id(session_id)
        if session is None or session.user_id != user_id or session.revoked_at is not None:
            raise SessionNotFound()
        await self.revoke([session], reason="REVOKED")
        self.repo.record_event("SESSION_REVOKED", user_id=user_id, actor_id=actor_id, session_id=session_id)

    async def revoke_all(self, user_id: str, *, reason: str, keep: str | None = None) -> int:
        sessions = [s for s in await self.repo.sessions_of(user_id, active_at=utcnow()) if s.id != keep]
        await self.revoke(sessions, reason=reason)
        return len(sessions)
