"""Resolvers: parse and authorize, then call the service inside the request's unit of work."""

from __future__ import annotations

import strawberry

from libs.auth import require_viewer
from libs.errors import Unauthenticated
from subgraphs.auth import loaders
from subgraphs.auth.context import Info
from subgraphs.auth.service import AccountService
from subgraphs.auth.service import AuthSuccess as AuthSuccessResult
from subgraphs.auth.service import TwoFactorChallenge as ChallengeResult
from subgraphs.auth.types import (
    AuthResult,
    AuthSuccess,
    AuthTokens,
    LogInInput,
    SignUpInput,
    TwoFactorChallenge,
    TwoFactorMethod,
    User,
)


def to_result(result: AuthSuccessResult | ChallengeResult) -> AuthSuccess | TwoFactorChallenge:
    if isinstance(result, ChallengeResult):
        return TwoFactorChallenge(challenge_token=result.challenge_token,
                                  methods=[TwoFactorMethod(m) for m in result.methods])
    return success(result)


def success(result: AuthSuccessResult) -> AuthSuccess:
    return AuthSuccess(user=User.from_row(result.user, authenticated_as=True),
                       tokens=AuthTokens.from_pair(result.tokens))


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user.")
    async def me(self, info: Info) -> User:
        viewer = require_viewer(info.context.viewer)
        row = await loaders.users(info.context).load(str(viewer.user_id))
        if row is None:  # deleted after the token was issued
            raise Unauthenticated("account no longer exists")
        return User.from_row(row)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthSuccess:
        async with info.context.unit_of_work() as repo:
            result = await AccountService(repo, info.context.resources.deps).sign_up(
                email=input.email, password=input.password, display_name=input.display_name,
                locale=input.locale, client=info.context.client(),
            )
        return success(result)

    @strawberry.mutation
    async def log_in(self, info: Info, input: LogInInput) -> AuthResult:
        async with info.context.unit_of_work() as repo:
            result = await AccountService(repo, info.context.resources.deps).log_in(
                email=input.email, password=input.password, client=info.context.client(),
            )
        return to_result(result)
