"""One error vocabulary for every subgraph, mapped to GraphQL `extensions.code`.

    AppError                      (code)
    ├── BadUserInput              BAD_USER_INPUT   names the offending `field`
    ├── Unauthenticated           UNAUTHENTICATED
    ├── Forbidden                 FORBIDDEN
    ├── NotFound                  NOT_FOUND
    ├── Conflict                  CONFLICT
    └── RateLimited               RATE_LIMITED     carries `retry_after` seconds

Domain errors subclass these. Anything else that escapes a resolver is masked as INTERNAL_SERVER_ERROR
(and logged with its traceback), so clients never see stack traces.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    code = "INTERNAL_SERVER_ERROR"
    # True for an answer whose unit of work still commits what it recorded before raising (a refresh-token
    # family revoked on reuse, a failed attempt counted): the error is the answer, the record must stay.
    commits = False

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = {k: v for k, v in extensions.items() if v is not None}

    def as_extensions(self) -> dict[str, Any]:
        return {"code": self.code, **self.extensions}


class BadUserInput(AppError):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, field: str | None = None, **extensions: Any) -> None:
        super().__init__(message, field=field, **extensions)
        self.field = field


class Unauthenticated(AppError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "authentication required", **extensions: Any) -> None:
        super().__init__(message, **extensions)


class Forbidden(AppError):
    code = "FORBIDDEN"

    def __init__(self, message: str = "not allowed", **extensions: Any) -> None:
        super().__init__(message, **extensions)


class NotFound(AppError):
    code = "NOT_FOUND"


class Conflict(AppError):
    code = "CONFLICT"


class RateLimited(AppError):
    code = "RATE_LIMITED"

    def __init__(self, message: str = "too many requests", *, retry_after: float | None = None) -> None:
        super().__init__(message, retryAfter=retry_after)
        self.retry_after = retry_after
