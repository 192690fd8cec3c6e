"""Refresh rotation, log-out, revoking one session."""

from __future__ import annotations

import strawberry

from libs.auth.fields import authenticated
from subgraphs.auth.context import Info
from subgraphs.auth.resolvers.common import viewer_id
from subgraphs.auth.service import SessionService
from subgraphs.auth.types import AuthTokens


@strawberry.type
class SessionMutation:
    @strawberry.mutation(
        description="Rotates: the old refresh token stops working; reusing it ends the session."
    )
    async def refresh_tokens(self, info: Info, refresh_token: str) -> AuthTokens:
        async with info.context.unit_of_work() as repo:
            pair = await SessionService(repo, info.context.resources.deps).refresh(
                refresh_token, info.context.client()
            )
        return AuthTokens.from_pair(pair)

    @strawberry.mutation(description="Revokes this access token at once, everywhere, and its refresh family.",
                         extensions=[authenticated()])
    async def log_out(self, info: Info) -> bool:
        viewer = info.context.viewer
        async with info.context.unit_of_work() as repo:
            await SessionService(repo, info.context.resources.deps).log_out(
                viewer_id(info), viewer.session_id, viewer.token_id, viewer.expires_at
            )
        return True

    @strawberry.mutation(description="Ends one of your own sessions (another device).",
                         extensions=[authenticated()])
    async def revoke_session(self, info: Info, id: strawberry.ID) -> bool:
        user_id = viewer_id(info)  # someone else's session is NOT_FOUND, like one that does not exist
        async with info.context.unit_of_work() as repo:
            service = SessionService(repo, info.context.resources.deps)
            await service.revoke_one(user_id, str(id), actor_id=user_id)
        return True
