"""Token verification in libs.auth: keys with kid, rotation, JWKS, refusing forged tokens, revocation."""

from __future__ import annotations

import base64
import json
import secrets
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from redis.asyncio import Redis

from libs.auth import Authenticator
from libs.auth.keys import generate_private_key, private_key_pem, public_jwk, published_jwks, signing_key
from libs.auth.tokens import issue_access_token
from libs.config import Settings
from libs.testing import free_port, running_app


def hs_settings(settings: Settings, **changes: str) -> Settings:
    base = {"MANPASIK_ENV": "test", "JWT_SECRET": settings.jwt_secret, "REDIS_URL": settings.redis_url,
            "REDIS_PREFIX": settings.redis_prefix, "DATA_DIR": str(settings.data_dir)}
    return Settings(**{**base, **changes})


def token_for(settings: Settings, **kw: object) -> str:
    token, _, _ = issue_access_token(settings, "user-1", ["USER"], "sid-" + secrets.token_hex(4),
                                     **kw)  # type: ignore[arg-type]
    return token


async def viewer_of(auth: Authenticator, token: str):  # type: ignore[no-untyped-def]
    return await auth.viewer_from_header(f"Bearer {token}")


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_valid_token_passes_and_tampered_expired_wrong_audience_alg_none_are_refused(
    settings: Settings,
) -> None:
    auth = Authenticator(settings)
    good = token_for(settings)
    viewer = await viewer_of(auth, good)
    assert viewer.user_id == "user-1" and viewer.auth_error is None

    header, payload, signature = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    tampered = ".".join([header, _b64({**claims, "roles": ["ADMIN"]}), signature])
    expired = token_for(settings, now=int(time.time()) - 3600)
    wrong_aud = jwt.encode({**claims, "aud": "someone-else"}, settings.jwt_secret, algorithm="HS256",
                           headers={"kid": settings.jwt_kid, "typ": "at+jwt"})
    alg_none = ".".join([_b64({"alg": "none", "typ": "at+jwt", "kid": settings.jwt_kid}), payload, ""])
    no_typ = jwt.encode(claims, settings.jwt_secret, algorithm="HS256", headers={"kid": settings.jwt_kid})
    other_secret = jwt.encode(claims, "x" * 48, algorithm="HS256", headers={"kid": settings.jwt_kid,
                                                                          "typ": "at+jwt"})
    for name, bad in [("tampered", tampered), ("expired", expired), ("wrong audience", wrong_aud),
                      ("alg none", alg_none), ("no typ", no_typ), ("other secret", other_secret)]:
        refused = await viewer_of(auth, bad)
        assert refused.user_id is None and refused.auth_error, name
    assert (await viewer_of(auth, expired)).auth_error == "access token expired"
    await auth.aclose()


async def test_hs256_secret_rotation_keeps_old_tokens_valid_only_while_listed(settings: Settings) -> None:
    old = hs_settings(settings, JWT_KID="hs-old", JWT_SECRET=secrets.token_urlsafe(40))
    old_token = token_for(old)
    new_secret = secrets.token_urlsafe(40)
    rotated = hs_settings(settings, JWT_KID="hs-new", JWT_SECRET=new_secret,
                          JWT_PREVIOUS_SECRETS=f"hs-old:{old.jwt_secret}")
    forgot_old = hs_settings(settings, JWT_KID="hs-new", JWT_SECRET=new_secret)
    assert (await viewer_of(Authenticator(rotated), old_token)).user_id == "user-1"
    assert (await viewer_of(Authenticator(rotated), token_for(rotated))).user_id == "user-1"
    refused = await viewer_of(Authenticator(forgot_old), old_token)
    assert refused.user_id is None and "unknown signing key" in str(refused.auth_error)


@pytest.mark.parametrize("algorithm", ["EdDSA", "RS256"])
async def test_asymmetric_tokens_verify_through_the_jwks_and_survive_key_rotation(
    settings: Settings, tmp_path: Path, algorithm: str,
) -> None:
    first_pem = private_key_pem(generate_private_key(algorithm))
    signer = hs_settings(settings, JWT_ALGORITHM=algorithm, JWT_PRIVATE_KEY=first_pem)
    first_token = token_for(signer)
    assert jwt.get_unverified_header(first_token)["alg"] == algorithm

    # Rotation: a new signing key; the old public key stays published until its tokens expire.
    old_jwk = public_jwk(signing_key(signer).key.public_key(), algorithm)
    rotated = hs_settings(settings, JWT_ALGORITHM=algorithm,
                          JWT_PRIVATE_KEY=private_key_pem(generate_private_key(algorithm)),
                          JWT_PREVIOUS_PUBLIC_KEYS=json.dumps({"keys": [old_jwk]}))
    app = FastAPI()
    app.get("/.well-known/jwks.json")(lambda: published_jwks(rotated))
    async with running_app(app) as base:
        verifier_settings = hs_settings(settings, JWT_ALGORITHM=algorithm,
                                        JWT_JWKS_URL=base + "/.well-known/jwks.json")
        verifier = Authenticator(verifier_settings)  # holds no key until it fetches the JWKS
        assert (await viewer_of(verifier, token_for(rotated))).user_id == "user-1"
        assert (await viewer_of(verifier, first_token)).user_id == "user-1"
        assert not any(k.get("d") for k in published_jwks(rotated)["keys"])  # never the private half

        # HS256 signed with the public key as secret (algorithm confusion) is refused.
        public_pem = signing_key(rotated).key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        claims = jwt.decode(first_token, options={"verify_signature": False})
        confused = _hs256_raw(claims, public_pem, signing_key(rotated).kid)
        assert (await viewer_of(verifier, confused)).user_id is None
        await verifier.aclose()


def _hs256_raw(claims: dict[str, object], secret: bytes, kid: str) -> str:
    import hashlib
    import hmac

    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'at+jwt', 'kid': kid})}.{_b64(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


async def test_revoked_token_and_revoked_session_are_refused(settings: Settings, redis: Redis) -> None:
    auth = Authenticator(settings, redis=redis)
    token, jti, exp = issue_access_token(settings, "user-2", ["USER"], "sid-a")
    other, _, _ = issue_access_token(settings, "user-2", ["USER"], "sid-b")
    assert (await viewer_of(auth, token)).user_id == "user-2"

    await auth.revocations.revoke_token(jti, exp)
    assert (await viewer_of(auth, token)).auth_error == "access token revoked"
    ttl = await redis.ttl(auth.revocations.token_key(jti))
    assert 0 < ttl <= settings.access_token_ttl_s + 1  # kept only as long as the token could be used

    assert (await viewer_of(auth, other)).user_id == "user-2"
    await auth.revocations.revoke_sessions(["sid-b"])
    assert (await viewer_of(auth, other)).auth_error == "access token revoked"


async def test_revocation_check_fails_closed_when_redis_is_unreachable(settings: Settings) -> None:
    unreachable = hs_settings(settings, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    auth = Authenticator(unreachable)
    viewer = await viewer_of(auth, token_for(unreachable))
    assert viewer.user_id is None and viewer.auth_error == "access token revoked"
    await auth.aclose()


def test_prod_needs_a_real_signing_key() -> None:
    from libs.config import SettingsError

    stores = {"DATABASE_URL": "postgresql+asyncpg://db/x", "MONGODB_URL": "mongodb://m"}
    prod = Settings(MANPASIK_ENV="prod", JWT_ALGORITHM="EdDSA", **stores)  # verifiers need no secret
    with pytest.raises(SettingsError, match="JWT_PRIVATE_KEY"):
        signing_key(prod)  # but the auth subgraph cannot sign without its key
    with pytest.raises(ValueError, match="JWT_SECRET"):
        Settings(MANPASIK_ENV="prod", JWT_ALGORITHM="HS256", **stores)
