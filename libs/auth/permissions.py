"""Permission checks declared next to the fields they guard.

Resolvers call these first; they raise the shared errors, so every subgraph answers the same way.
"""

from __future__ import annotations

from libs.auth.viewer import Role, Viewer
from libs.errors import Unauthenticated


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
