"""Conversions from service results to GraphQL types, and the caller's id, shared by the resolver modules."""

from __future__ import annotations

from libs.auth import require_viewer
from subgraphs.auth.context import Info
from subgraphs.auth.service import AuthSuccess as AuthSuccessResult
from subgraphs.auth.service import TwoFactorChallenge as ChallengeResult
from subgraphs.auth.types import AuthSuccess, AuthTokens, TwoFactorChallenge, TwoFactorMethod, User


def success(result: AuthSuccessResult) -> AuthSuccess:
    return AuthSuccess(
        user=User.from_row(result.user, authenticated_as=True), tokens=AuthTokens.from_pair(result.tokens)
    )


def to_result(result: AuthSuccessResult | ChallengeResult) -> AuthSuccess | TwoFactorChallenge:
    if isinstance(result, ChallengeResult):
        return TwoFactorChallenge(
            challenge_token=result.challenge_token, methods=[TwoFactorMethod(m) for m in result.methods]
        )
    return success(result)


def viewer_id(info: Info) -> str:
    """The caller's user id, in a field whose permission (`authenticated()`, `roles(...)`) requires one."""
    return str(require_viewer(info.context.viewer).user_id)
