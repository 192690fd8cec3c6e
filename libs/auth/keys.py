"""Signing and verification keys, each with a `kid` and one pinned algorithm (RFC 8725 §3.1).

HS256: the per-environment `JWT_SECRET` signs under `JWT_KID`; `JWT_PREVIOUS_SECRETS` ("kid:secret,...") keep
verifying tokens signed before a rotation. EdDSA (Ed25519) / RS256: `JWT_PRIVATE_KEY` (PEM) signs on the auth
subgraph, whose `/.well-known/jwks.json` publishes the public half plus `JWT_PREVIOUS_PUBLIC_KEYS` (a JWKS);
every other process verifies through that JWKS. An asymmetric kid is the key's RFC 7638 thumbprint.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from jwt import PyJWK
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

from libs.config import Settings, SettingsError

log = logging.getLogger("manpasik.auth.keys")

ASYMMETRIC = ("EdDSA", "RS256")


@dataclass(frozen=True, slots=True)
class Key:
    kid: str
    algorithm: str
    key: Any  # str secret (HS256), private key (signing) or public key (verifying)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(public_key: Any, algorithm: str) -> dict[str, Any]:
    """The JWK of a public key, with its RFC 7638 thumbprint as kid."""
    codec = OKPAlgorithm if algorithm == "EdDSA" else RSAAlgorithm
    jwk: dict[str, Any] = codec.to_jwk(public_key, as_dict=True)
    required = ("crv", "kty", "x") if jwk["kty"] == "OKP" else ("e", "kty", "n")
    canonical = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    return {**jwk, "kid": _b64(hashlib.sha256(canonical.encode()).digest()), "alg": algorithm, "use": "sig"}


def generate_private_key(algorithm: str) -> Any:
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem(private_key: Any) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


_signing_cache: dict[tuple[str, ...], Key] = {}


def signing_key(settings: Settings) -> Key:
    """The key new tokens are signed with (auth subgraph and tests only)."""
    cache_key = (settings.jwt_algorithm, settings.jwt_kid, settings.jwt_secret,
                 settings.jwt_private_key or "", str(settings.data_dir))
    cached = _signing_cache.get(cache_key)
    if cached is not None:
        return cached
    if settings.jwt_algorithm == "HS256":
        key = Key(settings.jwt_kid, "HS256", settings.jwt_secret)
    else:
        private = serialization.load_pem_private_key(_private_pem(settings).encode(), password=None)
        expected = ed25519.Ed25519PrivateKey if settings.jwt_algorithm == "EdDSA" else rsa.RSAPrivateKey
        if not isinstance(private, expected):
            raise SettingsError(f"JWT_PRIVATE_KEY is not a {settings.jwt_algorithm} key")
        kid = public_jwk(private.public_key(), settings.jwt_algorithm)["kid"]
        key = Key(kid, settings.jwt_algorithm, private)
    _signing_cache[cache_key] = key
    return key


def _private_pem(settings: Settings) -> str:
    if settings.jwt_private_key:
        return settings.jwt_private_key
    if settings.env == "prod":
        raise SettingsError(f"JWT_PRIVATE_KEY (PEM) is required to sign {settings.jwt_algorithm} in prod")
    # dev/test: one generated key per data folder, kept so restarts do not log everyone out.
    path = Path(settings.data_dir) / f"jwt-{settings.jwt_algorithm.lower()}-signing-key.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(private_key_pem(generate_private_key(settings.jwt_algorithm)))
        log.info("generated a %s signing key at %s (dev/test only)", settings.jwt_algorithm, path)
    return path.read_text()


def _previous_secrets(settings: Settings) -> list[Key]:
    keys = []
    for item in filter(None, (p.strip() for p in settings.jwt_previous_secrets.split(","))):
        kid, sep, secret = item.partition(":")
        if not sep or not kid or not secret:
            raise SettingsError("JWT_PREVIOUS_SECRETS must look like 'kid:secret,kid:secret'")
        keys.append(Key(kid, "HS256", secret))
    return keys


def keys_from_jwks(jwks: dict[str, Any] | str) -> list[Key]:
    """Verification keys from a JWKS document; only asymmetric keys with a kid and a pinned alg count."""
    data = json.loads(jwks) if isinstance(jwks, str) else jwks
    keys = []
    for jwk in data.get("keys", []):
        if jwk.get("alg") not in ASYMMETRIC or not jwk.get("kid") or jwk.get("kty") == "oct":
            continue
        keys.append(Key(jwk["kid"], jwk["alg"], PyJWK(jwk, algorithm=jwk["alg"]).key))
    return keys


def local_verification_keys(settings: Settings, *, include_signing: bool = False) -> list[Key]:
    """Keys known without network: HS256 secrets, or retired public keys (plus our own when we sign)."""
    if settings.jwt_algorithm == "HS256":
        return [signing_key(settings), *_previous_secrets(settings)]
    keys = keys_from_jwks(settings.jwt_previous_public_keys) if settings.jwt_previous_public_keys else []
    if include_signing or settings.jwt_private_key:
        own = signing_key(settings)
        keys.insert(0, Key(own.kid, own.algorithm, own.key.public_key()))
    return keys


def published_jwks(settings: Settings) -> dict[str, Any]:
    """What the auth subgraph serves at /.well-known/jwks.json (never a symmetric secret)."""
    if settings.jwt_algorithm == "HS256":
        return {"keys": []}
    own = signing_key(settings)
    keys = [public_jwk(own.key.public_key(), own.algorithm)]
    if settings.jwt_previous_public_keys:
        keys += json.loads(settings.jwt_previous_public_keys).get("keys", [])
    return {"keys": keys}
