"""Forged tokens sent to the subgraphs: a real token works, each tampered variant is refused."""

from __future__ import annotations

import base64
import json
import time

import jwt

from libs.config import Settings
from libs.testing.graphql import error_codes, gql
from tests.subgraphs.auth.helpers import ME, WHOAMI, sign_up


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_tampered_expired_wrong_audience_and_alg_none_tokens_are_refused(
    auth_url: str, other_url: str, settings: Settings,
) -> None:
    user = await sign_up(auth_url)
    token = user["tokens"]["accessToken"]
    assert (await gql(other_url, WHOAMI, token=token))["data"]["whoami"] == user["user"]["id"]

    header, _, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    head = {"kid": settings.jwt_kid, "typ": "at+jwt"}
    forged = {
        "tampered (ADMIN added)": ".".join([header, _b64({**claims, "roles": ["USER", "ADMIN"]}), signature]),
        "expired": jwt.encode({**claims, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600},
                              settings.jwt_secret, algorithm="HS256", headers=head),
        "wrong audience": jwt.encode({**claims, "aud": "another-service"}, settings.jwt_secret,
                                     algorithm="HS256", headers=head),
        "wrong issuer": jwt.encode({**claims, "iss": "https://evil.example"}, settings.jwt_secret,
                                   algorithm="HS256", headers=head),
        "alg none": ".".join([_b64({"alg": "none", **head}), _b64(claims), ""]),
    }
    for name, bad in forged.items():
        for url, query in ((other_url, WHOAMI), (auth_url, ME)):
            result = await gql(url, query, token=bad)
            assert error_codes(result) == ["UNAUTHENTICATED"], (name, url, result)
            assert result["data"] is None
