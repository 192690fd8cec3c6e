"""The router's token check at the edge, built from the platform's keys and revocation list: the same
verification every subgraph does (`libs.auth.tokens.Authenticator` over the shared settings)."""

from __future__ import annotations

from libs.auth.tokens import Authenticator
from libs.config import get_settings
from router.server import TokenVerifier


def platform_token_verifier() -> TokenVerifier:
    authenticator = Authenticator(get_settings())

    async def refusal(authorization: str) -> str | None:
        viewer = await authenticator.viewer_from_header(authorization)
        return viewer.auth_error

    return TokenVerifier(refusal=refusal, close=authenticator.aclose)
