"""EdDSA by configuration: the auth subgraph signs and publishes its JWKS; another subgraph verifies."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt

from libs.config import Settings
from libs.testing import running_app
from libs.testing.graphql import error_codes, gql
from subgraphs.auth.app import create_app
from subgraphs.auth.settings import AuthSettings
from tests.subgraphs.auth.helpers import CHEAP_HASHING, WHOAMI, sign_up
from tests.subgraphs.auth.other_subgraph import create_other_app


async def test_eddsa_tokens_verified_elsewhere_through_the_jwks(settings: Settings, tmp_path: Path) -> None:
    common = settings.model_dump(by_alias=True)
    eddsa = Settings(**{**common, "JWT_ALGORITHM": "EdDSA", "DATA_DIR": str(tmp_path)})
    async with running_app(create_app(eddsa, AuthSettings(**CHEAP_HASHING))) as auth_base:
        async with httpx.AsyncClient() as client:
            jwks = (await client.get(auth_base + "/.well-known/jwks.json")).json()
        assert [(k["kty"], k["crv"], k["alg"]) for k in jwks["keys"]] == [("OKP", "Ed25519", "EdDSA")]
        assert "d" not in jwks["keys"][0]

        verifier = Settings(**{**common, "JWT_ALGORITHM": "EdDSA",
                               "JWT_JWKS_URL": auth_base + "/.well-known/jwks.json",
                               "JWT_SECRET": "a-different-secret-the-verifier-never-uses-0000"})
        async with running_app(create_other_app(verifier)) as other_base:
            user = await sign_up(auth_base + "/graphql")
            token = user["tokens"]["accessToken"]
            assert jwt.get_unverified_header(token)["kid"] == jwks["keys"][0]["kid"]
            whoami = await gql(other_base + "/graphql", WHOAMI, token=token)
            assert whoami["data"]["whoami"] == user["user"]["id"], whoami

            # An HS256 token claiming that kid (signed with the public key as secret) is refused.
            claims = jwt.decode(token, options={"verify_signature": False})
            forged = jwt.encode(claims, "whatever-secret-32-bytes-long-000000", algorithm="HS256",
                                headers={"kid": jwks["keys"][0]["kid"], "typ": "at+jwt"})
            refused = await gql(other_base + "/graphql", WHOAMI, token=forged)
            assert error_codes(refused) == ["UNAUTHENTICATED"]

            assert (await gql(auth_base + "/graphql", "mutation { logOut }", token=token))["data"]["logOut"]
            assert error_codes(await gql(other_base + "/graphql", WHOAMI, token=token)) == ["UNAUTHENTICATED"]
