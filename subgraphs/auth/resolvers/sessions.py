"""Refresh rotation, log-out, revoking one session."""

from __future__ import annotations

import strawberry

from libs.auth import require_viewer
from subgraphs.auth.context import Info
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

    @strawberry.mutation(description="Revokes this access token at once, everywhere, and its refresh family.")
    async def log_out(self, info: Info) -> bool:
        viewer = require_viewer(info.context.viewer)
        async with info.context.unit_of_work() as repo:
            await SessionService(repo, info.context.resources.deps).log_out(
                str(viewer.user_id), viewer.session_id, viewer.token_id, viewer.expires_at
            )
        return True

    @strawberry.mutation(description="Ends one of your own sessions (another device).")
    async def revoke_session(self, info: Info, id: strawberry.ID) -> bool:
        viewer = require_viewer(info.context.viewer)
        async with info.context.unit_of_work() as repo:
            await SessionService(repo, info.context.resources.deps).revoke_one(
                str(viewer.user_id), str(id), actor_id=str(viewer.user_id)
            )
        return True
