"""Sign-up and password log-in."""

from __future__ import annotations

import uuid

from libs.auth.viewer import Role
from subgraphs.auth.errors import AccountSuspended, EmailTaken, InvalidCredentials
from subgraphs.auth.models import UserRow, utcnow
from subgraphs.auth.passwords import check_policy
from subgraphs.auth.repository import AuthRepository
from subgraphs.auth.service import validation
from subgraphs.auth.service.common import AuthDeps, AuthSuccess, ClientInfo, TwoFactorChallenge
from subgraphs.auth.service.sessions import SessionService

ACTIVE, SUSPENDED = "ACTIVE", "SUSPENDED"


class AccountService:
    def __init__(self, repo: AuthRepository, deps: AuthDeps) -> None:
        self.repo = repo
        self.deps = deps
        self.sessions = SessionService(repo, deps)

    async def sign_up(self, *, email: str | None, password: str | None, display_name: str | None,
                      locale: str | None, client: ClientInfo) -> AuthSuccess:
        normalized = validation.normalize_email(email)
        check_policy(password, email=normalized)
        assert password is not None
        name = validation.display_name(display_name)
        loc = validation.locale(locale)
        if await self.repo.user_by_email(normalized) is not None:
            raise EmailTaken()
        user = UserRow(id=str(uuid.uuid4()), email=normalized, display_name=name, locale=loc,
                       password_hash=await self.deps.passwords.hash(password), roles=Role.USER.value,
                       password_changed_at=utcnow())
        self.repo.add(user)
        await self.repo.flush()
        self.repo.record_event("SIGNED_UP", user_id=user.id, ip=client.ip)
        return AuthSuccess(user=user, tokens=await self.sessions.open(user, client))

    async def log_in(self, *, email: str | None, password: str | None,
                     client: ClientInfo) -> AuthSuccess | TwoFactorChallenge:
        normalized = validation.normalize_email(email)
        if not password:
            raise validation.BadUserInput("password is required", field="password")
        user = await self.repo.user_by_email(normalized)
        # Unknown email: verify against a dummy hash anyway, so timing does not tell the two apart.
        ok = await self.deps.passwords.verify(user.password_hash if user else None, password)
        if user is None or not ok:
            raise InvalidCredentials()
        if user.status == SUSPENDED:
            raise AccountSuspended()
        return AuthSuccess(user=user, tokens=await self.sessions.open(user, client))
