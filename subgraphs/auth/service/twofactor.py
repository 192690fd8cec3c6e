"""TOTP 2FA (RFC 6238), one-time backup codes, SMS codes, and the log-in challenge."""

from __future__ import annotations

import base64
import hmac
import secrets
import time

import pyotp

from libs.errors import BadUserInput, Conflict
from libs.time import utcnow
from subgraphs.auth.errors import AccountSuspended, InvalidCode, TooManyAttempts, UserNotFound
from subgraphs.auth.models import BackupCodeRow, UserRow
from subgraphs.auth.repository import AuthRepository
from subgraphs.auth.secrets import sha256_hex
from subgraphs.auth.service import validation
from subgraphs.auth.service.common import AuthDeps, AuthSuccess, ClientInfo
from subgraphs.auth.service.sessions import SessionService

TOTP_STEP_S = 30
TOTP_WINDOW = 1  # one step either side for clock drift (RFC 6238 §5.2)


def normalize_backup_code(code: str) -> str:
    return code.replace("-", "").replace(" ", "").upper()


def new_backup_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode()  # 80 bits: a SHA-256 of it resists guessing
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


class TwoFactorService:
    def __init__(self, repo: AuthRepository, deps: AuthDeps) -> None:
        self.repo = repo
        self.deps = deps

    async def _user(self, user_id: str, *, for_update: bool = False) -> UserRow:
        user = await self.repo.user_by_id(user_id, for_update=for_update)
        if user is None:
            raise UserNotFound(user_id)
        return user

    async def start_enrollment(self, user_id: str) -> tuple[str, str]:
        user = await self._user(user_id)
        if user.totp_secret:
            raise Conflict("two-factor authentication is already enabled")
        secret = pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends
        user.totp_pending_secret = self.deps.secrets.seal(secret, context=user.id)
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=self.deps.auth.totp_issuer)
        return secret, uri

    async def confirm_enrollment(self, user_id: str, code: str | None) -> list[str]:
        user = await self._user(user_id, for_update=True)
        if not user.totp_pending_secret:
            raise BadUserInput("start the enrollment first", field="code")
        pending = self.deps.secrets.open(user.totp_pending_secret, context=user.id)
        step = self._matching_step(pending, validation.required(code, "code"), None)
        if step is None:
            # BAD_USER_INPUT, not UNAUTHENTICATED: the caller is signed in and must not be logged out.
            raise BadUserInput("that code does not match; check the authenticator app's clock", field="code")
        user.totp_secret, user.totp_pending_secret, user.totp_last_step = user.totp_pending_secret, None, step
        codes = await self._new_backup_codes(user.id)
        self.repo.record_event("TOTP_ENABLED", user_id=user.id)
        return codes

    async def _new_backup_codes(self, user_id: str) -> list[str]:
        await self.repo.delete_backup_codes(user_id)
        codes = [new_backup_code() for _ in range(self.deps.auth.backup_code_count)]
        for code in codes:
            self.repo.add(BackupCodeRow(user_id=user_id, code_hash=sha256_hex(normalize_backup_code(code))))
        return codes

    @staticmethod
    def _matching_step(secret: str, code: str, last_step: int | None) -> int | None:
        """The time step of this code, or None; a step at or before the last accepted one is a replay."""
        code = code.strip().replace(" ", "")
        totp = pyotp.TOTP(secret)
        current = int(time.time()) // TOTP_STEP_S
        for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                return step if last_step is None or step > last_step else None
        return None

    async def send_sms(self, challenge_token: str | None) -> None:
        state = await self.deps.challenges.get(validation.required(challenge_token, "challengeToken"))
        if state is None or "SMS" not in state["methods"] or self.deps.sms is None:
            raise InvalidCode("this challenge has expired or offers no SMS")
        user = await self._user(state["user_id"])
        assert user.phone
        await self.deps.quota.take("SMS code", user.id, limit=5, window_s=600)
        await self.deps.sms.send(user.phone)

    async def verify(self, challenge_token: str | None, code: str | None, client: ClientInfo) -> AuthSuccess:
        token = validation.required(challenge_token, "challengeToken")
        code = validation.required(code, "code")
        state = await self.deps.challenges.get(token)
        if state is None:
            raise InvalidCode("this challenge has expired; log in again")
        attempts = await self.deps.challenges.count_attempt(token, self.deps.auth.challenge_ttl_s)
        if attempts > self.deps.auth.challenge_max_attempts:
            await self.deps.challenges.consume(token)
            raise TooManyAttempts("too many wrong codes; log in again")
        # Per account too: otherwise whoever knows the password could open challenge after challenge.
        throttle_key = f"2fa:{state['user_id']}"
        await self.deps.throttle.check(throttle_key, None)
        user = await self._user(state["user_id"], for_update=True)  # the row lock serialises replays
        if user.status == "SUSPENDED":
            raise AccountSuspended()
        if not await self._accept(user, code, state["methods"]):
            await self.deps.throttle.failed(throttle_key, None)
            raise InvalidCode()
        await self.deps.throttle.succeeded(throttle_key)
        if await self.deps.challenges.consume(token) is None:  # a concurrent request used it first
            raise InvalidCode("this challenge has expired; log in again")
        self.repo.record_event("TWO_FACTOR_PASSED", user_id=user.id, ip=client.ip)
        return AuthSuccess(user=user, tokens=await SessionService(self.repo, self.deps).open(user, client))

    async def _accept(self, user: UserRow, code: str, methods: list[str]) -> bool:
        digits = code.replace(" ", "")
        if digits.isdigit() and len(digits) == 6:
            if user.totp_secret:
                secret = self.deps.secrets.open(user.totp_secret, context=user.id)
                step = self._matching_step(secret, digits, user.totp_last_step)
                if step is not None:
                    user.totp_last_step = step
                    return True
            if "SMS" in methods and user.phone and self.deps.sms is not None:
                return await self.deps.sms.check(user.phone, digits)
            return False
        wanted = sha256_hex(normalize_backup_code(code))
        for row in await self.repo.unused_backup_codes(user.id):
            if hmac.compare_digest(row.code_hash, wanted):
                row.used_at = utcnow()
                self.repo.record_event("BACKUP_CODE_USED", user_id=user.id)
                return True
        return False

    async def disable(self, user_id: str, code: str | None) -> None:
        """Needs a current or backup code: a stolen access token alone cannot remove the second factor."""
        code = validation.required(code, "code")
        throttle_key = f"2fa:{user_id}"
        await self.deps.throttle.check(throttle_key, None)
        user = await self._user(user_id, for_update=True)
        if not user.totp_secret:
            raise BadUserInput("two-factor authentication is not enabled", field="code")
        if not await self._accept(user, code, ["TOTP", "BACKUP_CODE"]):
            await self.deps.throttle.failed(throttle_key, None)
            raise BadUserInput("invalid or expired code", field="code")
        user.totp_secret = user.totp_pending_secret = None
        user.totp_last_step = None
        await self.repo.delete_backup_codes(user.id)
        self.repo.record_event("TOTP_DISABLED", user_id=user.id)

    # ---- phone number for SMS codes (verified through the same provider)
    async def start_phone_verification(self, user_id: str, phone: str | None) -> None:
        if self.deps.sms is None:
            raise BadUserInput("SMS codes are not available", field="phone")
        number = validation.phone(phone)
        await self._user(user_id)
        await self.deps.quota.take("SMS code", user_id, limit=5, window_s=600)
        await self.deps.sms.send(number)

    async def confirm_phone(self, user_id: str, phone: str | None, code: str | None) -> UserRow:
        if self.deps.sms is None:
            raise BadUserInput("SMS codes are not available", field="phone")
        number = validation.phone(phone)
        user = await self._user(user_id)
        if not await self.deps.sms.check(number, validation.required(code, "code")):
            raise BadUserInput("invalid or expired code", field="code")
        user.phone = number
        self.repo.record_event("PHONE_VERIFIED", user_id=user.id)
        return user
