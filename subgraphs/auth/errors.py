"""The auth subgraph's errors; each maps to a shared code through its base class."""

from __future__ import annotations

from libs.errors import BadUserInput, Conflict, Forbidden, NotFound, RateLimited, Unauthenticated

# One message for unknown email and wrong password, so the answer never tells whether an account exists.
INVALID_CREDENTIALS = "invalid email or password"


class InvalidCredentials(Unauthenticated):
    def __init__(self) -> None:
        super().__init__(INVALID_CREDENTIALS)


class EmailTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("an account with this email already exists", field="email")


class InvalidRefreshToken(Unauthenticated):
    def __init__(self, message: str = "invalid refresh token") -> None:
        super().__init__(message)


class RefreshTokenReused(InvalidRefreshToken):
    # The answer is an error, but the family revoked on reuse (and the record of it) must stay.
    commits = True

    def __init__(self) -> None:
        super().__init__("refresh token reuse detected: this session was ended; log in again")


class InvalidCode(Unauthenticated):
    def __init__(self, message: str = "invalid or expired code") -> None:
        super().__init__(message)


class AccountSuspended(Forbidden):
    def __init__(self) -> None:
        super().__init__("this account is suspended")


class UserNotFound(NotFound):
    def __init__(self, user_id: str) -> None:
        super().__init__("user not found", userId=user_id)


class SessionNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("session not found")


class TooManyAttempts(RateLimited):
    pass


__all__ = [
    "INVALID_CREDENTIALS",
    "AccountSuspended",
    "BadUserInput",
    "EmailTaken",
    "InvalidCode",
    "InvalidCredentials",
    "InvalidRefreshToken",
    "RefreshTokenReused",
    "SessionNotFound",
    "TooManyAttempts",
    "UserNotFound",
]
