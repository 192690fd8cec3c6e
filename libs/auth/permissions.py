"""Permission checks declared next to the fields they guard.

Resolvers call these first; they raise the shared errors, so every subgraph answers the same way.
"""

from __future__ import annotations

from libs.auth.viewer import Role, Viewer
from libs.errors import Forbidden, Unauthenticated


def can_access(viewer: Viewer, owner_id: str | None, *roles: Role) -> bool:
    """The one rule behind every check: the owner of the data, or a holder of one of `roles`."""
    if viewer.user_id is None:
        return False
    return (owner_id is not None and viewer.user_id == owner_id) or viewer.has_role(*roles)


def require_viewer(viewer: Viewer) -> Viewer:
    """The viewer, or UNAUTHENTICATED (with the reason a presented token was refused)."""
    if viewer.user_id is None:
        raise Unauthenticated(viewer.auth_error or "authentication required")
    return viewer


def require_role(viewer: Viewer, *roles: Role) -> Viewer:
    require_viewer(viewer)
    if not can_access(viewer, None, *roles):
        raise Forbidden(f"requires role {' or '.join(r.value for r in roles)}")
    return viewer


def require_self_or_role(viewer: Viewer, owner_id: str, *roles: Role) -> Viewer:
    """Owner of the data, or one of `roles` (e.g. SUPPORT reading an account)."""
    require_viewer(viewer)
    if not can_access(viewer, owner_id, *roles):
        raise Forbidden("you may only access your own data")
    return viewer
