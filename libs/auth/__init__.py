"""Who is asking: access-token verification, the request's viewer, roles and permission checks."""

from libs.auth.permissions import can_access, require_viewer
from libs.auth.tokens import Authenticator, TokenError
from libs.auth.viewer import ANONYMOUS, Role, Viewer

__all__ = [
    "ANONYMOUS",
    "Authenticator",
    "Role",
    "TokenError",
    "Viewer",
    "can_access",
    "require_viewer",
]
