"""Sign-up, password log-in (throttled, 2FA-aware), password change, account deletion request."""

from __future__ import annotations

import uuid

from libs.auth.viewer import Role
from libs.errors import BadUserInput
from libs.time import utcnow
from subgraphs.auth import events
from subgraphs.auth.errors import AccountSuspended, EmailTaken, InvalidCredentials, UserNotFound
from subgraphs.auth.models import UserRow
from subgraphs.auth.passwords import check_policy
from subgraphs.auth.repository import AuthRepository
from subgraphs.auth.service import validation
from subgraphs.auth.service.common import AuthDeps, AuthSuccess, ClientInfo, TwoFactorChallenge
from subgraphs.auth.service.sessions import SessionService

ACTIVE, SUSPENDED = "ACTIVE", "SUSPENDED"
DEMO_DOMAIN = "@manpasik.dev"


class AccountService:
    def __init__(self, repo: AuthRepository, deps: AuthDeps) -> None:
        self.repo = repo
        self.deps = deps
        self.sessions = SessionService(repo, deps)

    def _refuse_demo_in_prod(self, email: str) -> bool:
        return self.deps.settings.env == "prod" and email.endswith(DEMO_DOMAIN)

    async def sign_up(
        self,
        *,
        email: str | None,
        password: str | None,
        display_name: str | None,
        locale: str | None,
        client: ClientInfo,
    ) -> AuthSuccess:
        normalized = validation.normalize_email(email)
        password = check_policy(password, email=normalized)
        name = validation.display_name(display_name)
        loc = validation.locale(locale)
        if self._refuse_demo_in_prod(normalized):
            raise BadUserInput("this email domain is reserved", field="email")
        if await self.repo.user_by_email(normalized) is not None:
            raise EmailTaken()
        user = await self.create_user(
            email=normalized,
            display_name=name,
            locale=loc,
            password_hash=await self.deps.passwords.hash(password),
        )
        self.repo.record_event("SIGNED_UP", user_id=user.id, ip=client.ip)
        return AuthSuccess(user=user, tokens=await self.sessions.open(user, client))

    async def create_user(
        self,
        *,
        email: str,
        display_name: str,
        locale: str,
        password_hash: str | None,
        roles: list[Role] | None = None,
        email_verified: bool = False,
    ) -> UserRow:
        user = UserRow(
            id=str(uuid.uuid4()),
            email=email,
            display_name=display_name,
            locale=locale,
            password_hash=password_hash,
            roles=",".join(r.value for r in roles or [Role.USER]),
            email_verified=email_verified,
            password_changed_at=utcnow() if password_hash else None,
        )
        self.repo.add(user)
        await self.repo.flush()
        self.repo.publish(events.signed_up(user.id, display_name=user.display_name, locale=user.locale,
                                           roles=user.role_list))
        return user

    async def log_in(
        self, *, email: str | None, password: str | None, client: ClientInfo
    ) -> AuthSuccess | TwoFactorChallenge:
        normalized = validation.normalize_email(email)
        if not password:
            raise BadUserInput("password is required", field="password")
        # Per IP only with the caller's own address: behind a router that does not report it, every client
        # would share the router's address and one attacker could lock everyone out.
        ip = client.ip if client.ip_is_callers else None
        await self.deps.throttle.check(normalized, ip)
        user = await self.repo.user_by_email(normalized)
        # Unknown email: verify against a dummy hash anyway, so timing does not tell the two apart.
        ok = await self.deps.passwords.verify(user.password_hash if user else None, password)
        if user is None or not ok or self._refuse_demo_in_prod(normalized):
            await self.deps.throttle.failed(normalized, ip)
            raise InvalidCredentials()
        await self.deps.throttle.succeeded(normalized)
        if user.password_hash and self.deps.passwords.needs_rehash(user.password_hash):
            user.password_hash = await self.deps.passwords.hash(password)  # parameters were raised since
        if user.status == SUSPENDED:
            raise AccountSuspended()
        return await self.complete_login(user, client)

    async def complete_login(self, user: UserRow, client: ClientInfo) -> AuthSuccess | TwoFactorChallenge:
        """After the first factor: a 2FA challenge when enrolled, else a new session."""
        if self._refuse_demo_in_prod(user.email):  # whichever way it was reached (password, social)
            raise InvalidCredentials()
        methods = self.second_factors(user)
        if methods:
            token = await self.deps.challenges.create(
                {"user_id": user.id, "methods": methods}, self.deps.auth.challenge_ttl_s
            )
            return TwoFactorChallenge(challenge_token=token, methods=methods)
        return AuthSuccess(user=user, tokens=await self.sessions.open(user, client))

    def second_factors(self, user: UserRow) -> list[str]:
        if not user.totp_secret:
            return []
        methods = ["TOTP"]
        if user.phone and self.deps.sms is not None:
            methods.append("SMS")
        return [*methods, "BACKUP_CODE"]

    async def change_password(
        self, user_id: str, current: str | None, new: str | None, session_id: str | None
    ) -> int:
        """Other sessions end at once (a changed password often means a stolen one); returns how many."""
        user = await self._user(user_id)
        if not current or not await self.deps.passwords.verify(user.password_hash, current):
            raise BadUserInput("current password is wrong", field="currentPassword")
        new = check_policy(new, field="newPassword", email=user.email)
        if new == current:
            raise BadUserInput("choose a password different from the current one", field="newPassword")
        user.password_hash = await self.deps.passwords.hash(new)
        user.password_changed_at = utcnow()
        ended = await self.sessions.revoke_all(user.id, reason="PASSWORD_CHANGED", keep=session_id)
        self.repo.record_event("PASSWORD_CHANGED", user_id=user.id, session_id=session_id)
        return ended

    async def set_locale(self, user_id: str, locale: str | None) -> UserRow:
        if not locale or not locale.strip():
            raise BadUserInput("locale is required", field="locale")
        user = await self._user(user_id)
        chosen = validation.locale(locale)
        if chosen != user.locale:
            user.locale = chosen
            self.repo.publish(events.locale_changed(user.id, locale=chosen))
        return user

    async def request_deletion(self, user_id: str, password: str | None) -> UserRow:
        user = await self._user(user_id)
        if user.password_hash and (
            not password or not await self.deps.passwords.verify(user.password_hash, password)
        ):
            raise BadUserInput("password is wrong", field="password")
        user.deletion_requested_at = user.deletion_requested_at or utcnow()
        await self.sessions.revoke_all(user.id, reason="DELETION_REQUESTED")
        self.repo.record_event("DELETION_REQUESTED", user_id=user.id)
        self.repo.publish(events.deletion_requested(user.id))
        return user

    async def _user(self, user_id: str) -> UserRow:
        user = await self.repo.user_by_id(user_id)
        if user is None:
            raise UserNotFound(user_id)
        return user
