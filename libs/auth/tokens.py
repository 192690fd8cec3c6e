"""Access-token verification shared by every subgraph and the router.

Only the auth subgraph issues tokens; everyone verifies them here. Pinning the algorithm list defeats
`alg: none` and algorithm-confusion tokens; issuer and audience are required.
"""

from __future__ import annotations

from typing import Any

import jwt

from libs.auth.viewer import ANONYMOUS, Role, Viewer
from libs.config import Settings


class TokenError(Exception):
    """The token is malformed, expired, revoked or not meant for us."""


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def decode(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.settings.jwt_secret,
                algorithms=["HS256"],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("access token expired")
        except jwt.PyJWTError:
            raise TokenError("invalid access token")
        return claims

    async def is_revoked(self, claims: dict[str, Any]) -> bool:
        """Hook for revocation lists; the base authenticator trusts the signature and expiry alone."""
        return False

    async def viewer_from_header(self, authorization: str | None) -> Viewer:
        if not authorization:
            return ANONYMOUS
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return Viewer(auth_error="Authorization header must be 'Bearer <token>'")
        try:
            claims = self.decode(token.strip())
        except TokenError as e:
            return Viewer(auth_error=str(e))
        if await self.is_revoked(claims):
            return Viewer(auth_error="access token revoked")
        roles = frozenset(Role(r) for r in claims.get("roles", []) if r in Role.__members__)
        return Viewer(user_id=str(claims["sub"]), roles=roles, session_id=claims.get("sid"), token_id=claims["jti"])


def issue_access_token(
    settings: Settings, user_id: str, roles: list[str], session_id: str, *, now: int | None = None
) -> tuple[str, str, int]:
    """Signs an access token; returns (token, jti, exp). Only the auth subgraph (and tests) call this."""
    import secrets
    import time

    iat = now if now is not None else int(time.time())
    exp = iat + settings.access_token_ttl_s
    jti = secrets.token_hex(16)
    claims = {
        "sub": user_id, "roles": roles, "sid": session_id, "jti": jti, "iat": iat, "exp": exp,
        "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256"), jti, exp
