"""Sessions and tokens: opening a session, refresh rotation with reuse detection, revocation."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from libs.auth.tokens import issue_access_token
from subgraphs.auth.models import RefreshTokenRow, SessionRow, UserRow, utcnow
from subgraphs.auth.repository import AuthRepository
from subgraphs.auth.service.common import AuthDeps, ClientInfo, TokenPair, new_secret, sha256_hex

security_log = logging.getLogger("manpasik.security")


class SessionService:
    def __init__(self, repo: AuthRepository, deps: AuthDeps) -> None:
        self.repo = repo
        self.deps = deps
        self.settings = deps.settings

    async def open(self, user: UserRow, client: ClientInfo) -> TokenPair:
        now = utcnow()
        session = SessionRow(id=str(uuid.uuid4()), user_id=user.id, device=client.user_agent[:200],
                             ip=client.ip, created_at=now, last_used_at=now, expires_at=now)
        self.repo.add(session)
        user.last_login_at = now
        await self.repo.flush()
        return self._pair(user, session, now)

    def _pair(self, user: UserRow, session: SessionRow, now: datetime) -> TokenPair:
        refresh = new_secret()
        expires = now + timedelta(seconds=self.settings.refresh_token_ttl_s)
        self.repo.add(RefreshTokenRow(token_hash=sha256_hex(refresh), session_id=session.id, created_at=now,
                                      expires_at=expires))
        session.expires_at = expires  # a family lives as long as its newest token: expiry on inactivity
        access, _, _ = issue_access_token(self.settings, user.id, user.role_list, session.id)
        return TokenPair(access_token=access, refresh_token=refresh,
                         expires_in=self.settings.access_token_ttl_s)
