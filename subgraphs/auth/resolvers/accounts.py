"""Sign-up, log-in, me, password and email flows."""

from __future__ import annotations

import strawberry

from libs.auth.fields import authenticated
from libs.errors import Unauthenticated
from subgraphs.auth import loaders
from subgraphs.auth.context import Info
from subgraphs.auth.resolvers.common import success, to_result, viewer_id
from subgraphs.auth.service import AccountService
from subgraphs.auth.service.recovery import RecoveryService
from subgraphs.auth.types import (
    AuthResult,
    AuthSuccess,
    ChangePasswordInput,
    LogInInput,
    ResetPasswordInput,
    SignUpInput,
    User,
)


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in user.", extensions=[authenticated()])
    async def me(self, info: Info) -> User:
        row = await loaders.users(info.context).load(viewer_id(info))
        if row is None:  # deleted after the token was issued
            raise Unauthenticated("account no longer exists")
        return User.from_row(row)


@strawberry.type
class AccountMutation:
    @strawberry.mutation
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthSuccess:
        async with info.context.unit_of_work() as repo:
            result = await AccountService(repo, info.context.resources.deps).sign_up(
                email=input.email,
                password=input.password,
                display_name=input.display_name,
                locale=input.locale,
                client=info.context.client(),
            )
        return success(result)

    @strawberry.mutation(description="AuthSuccess, or a TwoFactorChallenge when 2FA is enabled.")
    async def log_in(self, info: Info, input: LogInInput) -> AuthResult:
        async with info.context.unit_of_work() as repo:
            result = await AccountService(repo, info.context.resources.deps).log_in(
                email=input.email,
                password=input.password,
                client=info.context.client(),
            )
        return to_result(result)

    @strawberry.mutation(description="Ends every other session at once.", extensions=[authenticated()])
    async def change_password(self, info: Info, input: ChangePasswordInput) -> bool:
        async with info.context.unit_of_work() as repo:
            await AccountService(repo, info.context.resources.deps).change_password(
                viewer_id(info), input.current_password, input.new_password, info.context.viewer.session_id
            )
        return True

    @strawberry.mutation(extensions=[authenticated()])
    async def request_email_verification(self, info: Info) -> bool:
        async with info.context.unit_of_work() as repo:
            mail = await RecoveryService(repo, info.context.resources.deps).request_email_verification(
                viewer_id(info)
            )
        if mail is not None:
            info.context.resources.deps.mailer.send_later(mail)
        return True

    @strawberry.mutation
    async def verify_email(self, info: Info, token: str) -> bool:
        async with info.context.unit_of_work() as repo:
            await RecoveryService(repo, info.context.resources.deps).verify_email(token)
        return True

    @strawberry.mutation(description="Always true: the answer never tells whether the account exists.")
    async def request_password_reset(self, info: Info, email: str) -> bool:
        async with info.context.unit_of_work() as repo:
            mail = await RecoveryService(repo, info.context.resources.deps).request_password_reset(email)
        if mail is not None:
            info.context.resources.deps.mailer.send_later(mail)
        return True

    @strawberry.mutation(description="Ends every session of the account.")
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> bool:
        async with info.context.unit_of_work() as repo:
            await RecoveryService(repo, info.context.resources.deps).reset_password(
                input.token, input.new_password
            )
        return True

    @strawberry.mutation(description='Language of messages and notifications: a BCP 47 tag such as "ko-KR".',
                         extensions=[authenticated()])
    async def set_language_preference(self, info: Info, locale: str) -> User:
        async with info.context.unit_of_work() as repo:
            service = AccountService(repo, info.context.resources.deps)
            row = await service.set_locale(viewer_id(info), locale)
        return User.from_row(row)

    @strawberry.mutation(description="Ends every session; the account is deleted after the retention period.",
                         extensions=[authenticated()])
    async def request_account_deletion(self, info: Info, password: str | None = None) -> bool:
        async with info.context.unit_of_work() as repo:
            service = AccountService(repo, info.context.resources.deps)
            await service.request_deletion(viewer_id(info), password)
        return True
