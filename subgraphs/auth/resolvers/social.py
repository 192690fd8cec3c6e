"""Social log-in (Google, Kakao, Naver): start (state, nonce, PKCE challenge), then exchange the code."""

from __future__ import annotations

import strawberry

from subgraphs.auth.context import Info
from subgraphs.auth.resolvers.common import to_result
from subgraphs.auth.service.social import SocialService
from subgraphs.auth.types import AuthResult, SocialAuthorization, SocialLogInInput, StartSocialLogInInput


@strawberry.type
class SocialMutation:
    @strawberry.mutation(description="The provider URL to open, and the state to send back to socialLogIn.")
    async def start_social_log_in(self, info: Info, input: StartSocialLogInInput) -> SocialAuthorization:
        async with info.context.unit_of_work() as repo:
            url, state = await SocialService(repo, info.context.resources.deps).start(
                input.provider.value, input.redirect_uri, input.code_challenge
            )
        return SocialAuthorization(authorization_url=url, state=state)

    @strawberry.mutation
    async def social_log_in(self, info: Info, input: SocialLogInInput) -> AuthResult:
        async with info.context.unit_of_work() as repo:
            result = await SocialService(repo, info.context.resources.deps).log_in(
                provider=input.provider.value,
                code=input.authorization_code,
                state=input.state,
                redirect_uri=input.redirect_uri,
                code_verifier=input.code_verifier,
                client=info.context.client(),
            )
        return to_result(result)
