"""TOTP enrollment, the log-in challenge, SMS codes and the phone number they go to."""

from __future__ import annotations

import strawberry

from libs.auth.fields import authenticated
from subgraphs.auth.context import Info
from subgraphs.auth.resolvers.common import success, viewer_id
from subgraphs.auth.service.twofactor import TwoFactorService
from subgraphs.auth.types import AuthSuccess, TotpConfirmation, TotpEnrollment, User, VerifyTwoFactorInput


@strawberry.type
class TwoFactorMutation:
    @strawberry.mutation(extensions=[authenticated()])
    async def start_totp_enrollment(self, info: Info) -> TotpEnrollment:
        async with info.context.unit_of_work() as repo:
            secret, uri = await TwoFactorService(repo, info.context.resources.deps).start_enrollment(
                viewer_id(info)
            )
        return TotpEnrollment(secret=secret, provisioning_uri=uri)

    @strawberry.mutation(extensions=[authenticated()])
    async def confirm_totp_enrollment(self, info: Info, code: str) -> TotpConfirmation:
        async with info.context.unit_of_work() as repo:
            codes = await TwoFactorService(repo, info.context.resources.deps).confirm_enrollment(
                viewer_id(info), code
            )
        return TotpConfirmation(backup_codes=codes)

    @strawberry.mutation(description="Turns TOTP off; needs a current code or a backup code.",
                         extensions=[authenticated()])
    async def disable_totp(self, info: Info, code: str) -> bool:
        async with info.context.unit_of_work() as repo:
            await TwoFactorService(repo, info.context.resources.deps).disable(viewer_id(info), code)
        return True

    @strawberry.mutation
    async def verify_two_factor(self, info: Info, input: VerifyTwoFactorInput) -> AuthSuccess:
        async with info.context.unit_of_work() as repo:
            result = await TwoFactorService(repo, info.context.resources.deps).verify(
                input.challenge_token, input.code, info.context.client()
            )
        return success(result)

    @strawberry.mutation(description="Sends an SMS code for a challenge that offers SMS.")
    async def send_two_factor_sms(self, info: Info, challenge_token: str) -> bool:
        async with info.context.unit_of_work() as repo:
            await TwoFactorService(repo, info.context.resources.deps).send_sms(challenge_token)
        return True

    @strawberry.mutation(description="Sends a code to this number (E.164) to prove it is yours.",
                         extensions=[authenticated()])
    async def start_phone_verification(self, info: Info, phone: str) -> bool:
        async with info.context.unit_of_work() as repo:
            await TwoFactorService(repo, info.context.resources.deps).start_phone_verification(
                viewer_id(info), phone
            )
        return True

    @strawberry.mutation(extensions=[authenticated()])
    async def confirm_phone_verification(self, info: Info, phone: str, code: str) -> User:
        async with info.context.unit_of_work() as repo:
            row = await TwoFactorService(repo, info.context.resources.deps).confirm_phone(
                viewer_id(info), phone, code
            )
        return User.from_row(row)
