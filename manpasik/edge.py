"""The router's token check at the edge, built from the platform's keys and revocation list: the same
verification every subgraph does (`libs.auth.tokens.Authenticator` over the shared settings)."""

from __future__ import annotations

from libs.auth.tokens import Authenticator
from libs.config import get_settings
from router.server import TokenVerifier
from router.supergraph import ANONYMOUS, Principal


def platform_token_verifier() -> TokenVerifier:
    authenticator = Authenticator(get_settings())

    async def refusal(authorization: str) -> str | None:
        viewer = await authenticator.viewer_from_header(authorization)
        return viewer.auth_error

    async def principal(authorization: str) -> Principal:
        # The token's roles are its scopes and policies (`@requiresScopes(scopes: [["ADMIN"]])`).
        viewer = await authenticator.viewer_from_header(authorization)
        if not viewer.is_authenticated:
            return ANONYMOUS
        roles = frozenset(str(r) for r in viewer.roles)
        return Principal(authenticated=True, scopes=roles, policies=roles)

    return TokenVerifier(refusal=refusal, close=authenticator.aclose, principal=principal)
