"""Email verification and password reset: single-use, expiring links sent by mail after the commit."""

from __future__ import annotations

from datetime import timedelta

from libs.errors import BadUserInput
from libs.time import as_utc, utcnow
from subgraphs.auth.adapters.mail import Mail
from subgraphs.auth.errors import UserNotFound
from subgraphs.auth.models import OneTimeTokenRow, UserRow
from subgraphs.auth.passwords import check_policy
from subgraphs.auth.repository import AuthRepository
from subgraphs.auth.secrets import new_secret, sha256_hex
from subgraphs.auth.service import validation
from subgraphs.auth.service.common import AuthDeps
from subgraphs.auth.service.sessions import SessionService

VERIFY_EMAIL, RESET_PASSWORD = "VERIFY_EMAIL", "RESET_PASSWORD"


class RecoveryService:
    def __init__(self, repo: AuthRepository, deps: AuthDeps) -> None:
        self.repo = repo
        self.deps = deps

    def _link(self, path: str, token: str) -> str:
        return f"{self.deps.auth.app_url.rstrip('/')}/{path}?token={token}"

    def _token(self, user: UserRow, purpose: str, ttl_s: int) -> str:
        token = new_secret()
        now = utcnow()
        self.repo.add(
            OneTimeTokenRow(
                token_hash=sha256_hex(token),
                user_id=user.id,
                purpose=purpose,
                created_at=now,
                expires_at=now + timedelta(seconds=ttl_s),
            )
        )
        return token

    async def request_email_verification(self, user_id: str) -> Mail | None:
        user = await self.repo.user_by_id(user_id)
        if user is None:
            raise UserNotFound(user_id)
        if user.email_verified:
            return None
        await self.deps.quota.take("verification mail", user.id, limit=5, window_s=3600)
        token = self._token(user, VERIFY_EMAIL, self.deps.auth.email_token_ttl_s)
        return Mail(
            user.email,
            "ManPaSik: confirm your email / 이메일 주소를 확인해 주세요",
            f"Confirm your email address / 이메일 인증:\n{self._link('verify-email', token)}\n\n"
            f"Token: {token}\n",
        )

    async def _consume(self, token: str | None, purpose: str) -> UserRow:
        row = await self.repo.one_time_token(sha256_hex(validation.required(token, "token")), purpose)
        if row is None or row.used_at is not None or as_utc(row.expires_at) <= utcnow():
            raise BadUserInput("this link is invalid or has expired", field="token")
        row.used_at = utcnow()
        user = await self.repo.user_by_id(row.user_id)
        if user is None:
            raise BadUserInput("this link is invalid or has expired", field="token")
        return user

    async def verify_email(self, token: str | None) -> UserRow:
        user = await self._consume(token, VERIFY_EMAIL)
        user.email_verified = True
        self.repo.record_event("EMAIL_VERIFIED", user_id=user.id)
        return user

    async def request_password_reset(self, email: str | None) -> Mail | None:
        """Same answer whether or not the account exists; the mail, if any, goes out after the answer."""
        normalized = validation.normalize_email(email)
        await self.deps.quota.take("password reset", normalized, limit=3, window_s=3600)
        user = await self.repo.user_by_email(normalized)
        if user is None or user.status == "SUSPENDED":
            return None
        token = self._token(user, RESET_PASSWORD, self.deps.auth.reset_token_ttl_s)
        return Mail(
            user.email,
            "ManPaSik: reset your password / 비밀번호 재설정",
            f"Reset your password / 비밀번호 재설정:\n{self._link('reset-password', token)}\n\n"
            f"Token: {token}\nIf you did not ask for this, ignore this mail.\n",
        )

    async def reset_password(self, token: str | None, new_password: str | None) -> UserRow:
        user = await self._consume(token, RESET_PASSWORD)
        new = check_policy(new_password, field="newPassword", email=user.email)
        user.password_hash = await self.deps.passwords.hash(new)
        user.password_changed_at = utcnow()
        user.email_verified = True  # the link proved control of the mailbox
        await SessionService(self.repo, self.deps).revoke_all(user.id, reason="PASSWORD_RESET")
        self.repo.record_event("PASSWORD_RESET", user_id=user.id)
        return user
