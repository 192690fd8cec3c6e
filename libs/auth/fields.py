"""Field- and object-level permissions for Strawberry, declared next to the field they guard:

    @strawberry.field(extensions=[owner_or_roles(Role.SUPPORT, Role.ADMIN, owner=lambda m: m.user_id)])
    def value(self) -> float: ...

    @strawberry.field(extensions=[roles(Role.ADMIN)])
    def audit_log(self) -> list[Entry]: ...

Unauthenticated callers get UNAUTHENTICATED (with the reason their token was refused), others FORBIDDEN: the
same answers as `require_*` in resolvers, because both end in `libs.auth.permissions`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry.permission import BasePermission, PermissionExtension

from libs.auth.permissions import can_access, require_viewer
from libs.auth.viewer import Role, Viewer
from libs.errors import Forbidden


def _viewer(info: Any) -> Viewer:
    viewer = getattr(info.context, "viewer", None)
    return viewer if isinstance(viewer, Viewer) else Viewer()


class OwnerOrRoles(BasePermission):
    """The owner of the object (`owner(source)` is their user id) or one of `roles`."""

    message = "you may only access your own data"

    def __init__(self, *roles: Role, owner: Callable[[Any], str | None] | None = None) -> None:
        self.roles = roles
        self.owner = owner

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        viewer = require_viewer(_viewer(info))  # raises UNAUTHENTICATED with the token's problem
        owner_id = self.owner(source) if self.owner is not None else None
        return can_access(viewer, owner_id, *self.roles)

    def on_unauthorized(self) -> None:
        raise Forbidden(self.message)


def owner_or_roles(
    *roles: Role, owner: Callable[[Any], str | None], message: str | None = None
) -> PermissionExtension:
    """`message`: the FORBIDDEN text when it should name the data ("... your own measurements")."""
    permission = OwnerOrRoles(*roles, owner=owner)
    if message is not None:
        permission.message = message
    return PermissionExtension(permissions=[permission], use_directives=False)


def roles(*allowed: Role) -> PermissionExtension:
    permission = OwnerOrRoles(*allowed)
    permission.message = f"requires role {' or '.join(r.value for r in allowed)}"
    return PermissionExtension(permissions=[permission], use_directives=False)


class Authenticated(BasePermission):
    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        require_viewer(_viewer(info))
        return True


def authenticated() -> PermissionExtension:
    return PermissionExtension(permissions=[Authenticated()], use_directives=False)
