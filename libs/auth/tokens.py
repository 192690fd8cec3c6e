"""Access-token issuing and verification shared by every subgraph and the router.

Only the auth subgraph issues tokens; everyone verifies them here. Each key pins its one algorithm (so
`alg: none` and algorithm-confusion tokens fail), the header must carry a known `kid` and `typ: at+jwt`
(RFC 9068: no other JWT of ours passes as an access token), issuer and audience are required, and every
request checks the revocation list (revoked token ids and sessions): in the process's local view
(`libs.auth.revocation_view`, started by `watch_revocations`) while it is fresh, else in Redis, refusing
the token when neither can tell.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

import httpx
import jwt
from redis.asyncio import Redis

from libs.auth.keys import ASYMMETRIC, Key, keys_from_jwks, local_verification_keys, signing_key
from libs.auth.revocation import Revocations, grants
from libs.auth.revocation_view import RevocationView
from libs.auth.viewer import ANONYMOUS, Role, Viewer
from libs.config import Settings

log = logging.getLogger("manpasik.auth")

ACCESS_TOKEN_TYPE = "at+jwt"
JWKS_REFETCH_INTERVAL_S = 5.0  # an unknown kid triggers at most one JWKS fetch per interval
# Where the auth subgraph publishes its keys when JWT_JWKS_URL does not say (its port in ARCHITECTURE.md).
DEFAULT_JWKS_URL = "http://127.0.0.1:8001/.well-known/jwks.json"


class TokenError(Exception):
    """The token is malformed, expired, revoked or not meant for us."""


class UnknownSigningKey(TokenError):
    pass


def default_jwks_url(settings: Settings) -> str | None:
    if settings.jwt_jwks_url:
        return settings.jwt_jwks_url
    if settings.jwt_algorithm in ASYMMETRIC:
        return DEFAULT_JWKS_URL
    return None


class Authenticator:
    def __init__(self, settings: Settings, *, redis: Redis | None = None, jwks_url: str | None = None,
                 http: httpx.AsyncClient | None = None, keys: list[Key] | None = None) -> None:
        """`keys`: verification keys known up front besides the configured ones (the signer's own)."""
        self.settings = settings
        self._keys: dict[str, Key] = {k.kid: k for k in [*local_verification_keys(settings), *(keys or [])]}
        self._jwks_url = jwks_url or default_jwks_url(settings)
        self._jwks_fetched_at = 0.0
        self._jwks_lock = asyncio.Lock()
        self._http = http
        # Built lazily (no I/O at construction); every subgraph gets the revocation check without wiring it.
        self._redis = redis
        self._owns_redis = redis is None
        self._revocations: Revocations | None = None
        self.view: RevocationView | None = None

    @property
    def revocations(self) -> Revocations:
        if self._revocations is None:
            if self._redis is None:
                from libs.redis import create_redis

                self._redis = create_redis(self.settings.redis_url)
            self._revocations = Revocations(self.settings, self._redis)
        return self._revocations

    def decode(self, token: str) -> dict[str, Any]:
        """Verifies signature and claims with the keys known now (no network); see `verify`."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenError("invalid access token")
        kid = header.get("kid")
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise UnknownSigningKey("invalid access token: unknown signing key")
        if header.get("typ") != ACCESS_TOKEN_TYPE:
            raise TokenError("invalid access token")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"require": ["exp", "iat", "sub", "jti", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("access token expired")
        except jwt.PyJWTError:
            raise TokenError("invalid access token")
        return claims

    async def verify(self, token: str) -> dict[str, Any]:
        """`decode`, fetching the JWKS once more when the kid is new (a key rotation on the auth subgraph)."""
        try:
            return self.decode(token)
        except UnknownSigningKey:
            if not await self._refresh_jwks():
                raise
            return self.decode(token)

    async def _refresh_jwks(self) -> bool:
        if self._jwks_url is None:
            return False
        async with self._jwks_lock:
            if time.monotonic() - self._jwks_fetched_at < JWKS_REFETCH_INTERVAL_S:
                return False
            self._jwks_fetched_at = time.monotonic()
            try:
                if self._http is None:
                    self._http = httpx.AsyncClient(timeout=3.0)
                response = await self._http.get(self._jwks_url)
                response.raise_for_status()
                fetched = keys_from_jwks(response.json())
            except (httpx.HTTPError, ValueError, KeyError, jwt.PyJWTError) as e:
                log.warning("could not fetch JWKS from %s: %s", self._jwks_url, e)
                return False
            self._keys.update({k.kid: k for k in fetched})
            return True

    async def watch_revocations(self) -> RevocationView:
        """Starts the local revocation view (idempotent) and waits briefly for its first load."""
        if self.view is None:
            self.view = RevocationView(self.revocations, stale_after_s=self.settings.revocation_stale_after_s)
        await self.view.wait_fresh(within_s=2.0)  # if Redis is down, checks fail closed meanwhile
        return self.view

    async def is_revoked(self, claims: dict[str, Any]) -> bool:
        """True when the token's id or its session was revoked — or when Redis cannot tell (fail closed).
        A fresh local view answers without a round trip; a stale one (or none) hands over to Redis."""
        view = self.view
        if view is not None and view.fresh():
            return view.revoked(grants(claims))
        try:
            return await self.revocations.is_revoked(claims)
        except Exception as e:  # Redis down: refuse rather than accept a possibly revoked token
            log.error("revocation check failed, refusing the token: %s", e)
            return True

    async def viewer_from_header(self, authorization: str | None) -> Viewer:
        if not authorization:
            return ANONYMOUS
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return Viewer(auth_error="Authorization header must be 'Bearer <token>'")
        try:
            claims = await self.verify(token.strip())
        except TokenError as e:
            return Viewer(auth_error=str(e))
        if await self.is_revoked(claims):
            return Viewer(auth_error="access token revoked")
        roles = frozenset(Role(r) for r in claims.get("roles", []) if r in Role.__members__)
        return Viewer(user_id=str(claims["sub"]), roles=roles, session_id=claims.get("sid"),
                      token_id=claims["jti"], expires_at=int(claims["exp"]))

    async def aclose(self) -> None:
        if self.view is not None:
            await self.view.close()
            self.view = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        if self._owns_redis and self._redis is not None:
            await self._redis.aclose()
            self._redis = None
            self._revocations = None


def issue_access_token(
    settings: Settings, user_id: str, roles: list[str], session_id: str, *, now: int | None = None,
    key: Key | None = None, ttl_s: int | None = None,
) -> tuple[str, str, int]:
    """Signs an access token; returns (token, jti, exp). Only the auth subgraph (and tests) call this."""
    key = key or signing_key(settings)
    iat = now if now is not None else int(time.time())
    exp = iat + (ttl_s if ttl_s is not None else settings.access_token_ttl_s)
    jti = secrets.token_hex(16)
    claims = {
        "sub": user_id, "roles": roles, "sid": session_id, "jti": jti, "iat": iat, "exp": exp,
        "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
    }
    headers = {"kid": key.kid, "typ": ACCESS_TOKEN_TYPE}
    return jwt.encode(claims, key.key, algorithm=key.algorithm, headers=headers), jti, exp
