"""Administrators' actions on accounts; each is recorded with who acted and why."""

from __future__ import annotations

import logging

from libs.auth.viewer import Role
from libs.errors import BadUserInput
from libs.graphql.cursor import decode_cursor, encode_cursor
from subgraphs.auth import events
from subgraphs.auth.errors import UserNotFound
from subgraphs.auth.models import UserRow
from subgraphs.auth.repository import AuthRepository
from subgraphs.auth.service.common import AuthDeps
from subgraphs.auth.service.sessions import SessionService

security_log = logging.getLogger("manpasik.security")
MAX_PAGE = 100


def user_cursor(user: UserRow) -> str:
    """The opaque cursor of a user in `adminUsers` (newest first: created_at, then id)."""
    return encode_cursor(user.created_at, user.id)


class AdminService:
    def __init__(self, repo: AuthRepository, deps: AuthDeps) -> None:
        self.repo = repo
        self.sessions = SessionService(repo, deps)

    async def _target(self, user_id: str) -> UserRow:
        user = await self.repo.user_by_id(user_id)
        if user is None:
            raise UserNotFound(user_id)
        return user

    @staticmethod
    def _reason(reason: str | None) -> str:
        if not reason or not reason.strip():
            raise BadUserInput("a reason is required", field="reason")
        return reason.strip()[:500]

    async def suspend(self, actor_id: str, user_id: str, reason: str | None) -> UserRow:
        """Every session of the user ends at once; logging in is refused until reinstated."""
        why = self._reason(reason)
        if actor_id == user_id:
            raise BadUserInput("you cannot suspend yourself", field="userId")
        user = await self._target(user_id)
        user.status = "SUSPENDED"
        ended = await self.sessions.revoke_all(user.id, reason="SUSPENDED")
        self.repo.record_event("USER_SUSPENDED", user_id=user.id, actor_id=actor_id, reason=why)
        self.repo.publish(events.suspended(user.id, actor_id=actor_id, reason=why))
        security_log.warning("user %s suspended by %s (%d sessions ended)", user.id, actor_id, ended)
        return user

    async def reinstate(self, actor_id: str, user_id: str, reason: str | None) -> UserRow:
        why = self._reason(reason)
        user = await self._target(user_id)
        user.status = "ACTIVE"
        self.repo.record_event("USER_REINSTATED", user_id=user.id, actor_id=actor_id, reason=why)
        self.repo.publish(events.reinstated(user.id, actor_id=actor_id, reason=why))
        return user

    async def list_users(self, search: str | None, first: int,
                         after: str | None) -> tuple[list[UserRow], bool]:
        """One page, newest first, and whether more follow."""
        if not 1 <= first <= MAX_PAGE:
            raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")
        position = decode_cursor(after, field="after") if after else None
        rows = await self.repo.search_users((search or "").strip() or None, first + 1, position)
        return rows[:first], len(rows) > first

    async def grant_role(self, actor_id: str, user_id: str, role: Role) -> UserRow:
        user = await self._target(user_id)
        if role.value not in user.role_list:
            user.roles = ",".join([*user.role_list, role.value])
            self.repo.record_event("ROLE_GRANTED", user_id=user.id, actor_id=actor_id, reason=role.value)
            self.repo.publish(events.role_granted(user.id, actor_id=actor_id, role=role.value,
                                                  display_name=user.display_name))
        return user
