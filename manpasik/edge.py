"""The router's token check at the edge, built from the platform's keys and revocation list: the same
verification every subgraph does (`libs.auth.tokens.Authenticator` over the shared settings), against the
process's local revocation view (no Redis round trip per request while it is fresh), whose revocations also
end the router's open streams of those tokens (`watch`)."""

from __future__ import annotations

from collections.abc import Callable

from libs.auth.revocation import grants as token_grants
from libs.auth.tokens import Authenticator, TokenError
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

    async def grants(authorization: str) -> frozenset[str] | None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            claims = await authenticator.verify(token.strip())
        except TokenError:
            return None
        if await authenticator.is_revoked(claims):
            return None
        return token_grants(claims)

    async def watch(on_revoked: Callable[[frozenset[str]], None]) -> None:
        view = await authenticator.watch_revocations()
        view.listen(on_revoked)

    return TokenVerifier(refusal=refusal, close=authenticator.aclose, principal=principal, grants=grants,
                         watch=watch)
