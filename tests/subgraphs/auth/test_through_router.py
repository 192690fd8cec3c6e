"""The auth part of the mobile contract through the federation router (in process), with the operations
exactly as the app sends them: sign-up, log-in, TOTP 2FA, rotation, log-out, social log-in."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from graphql import OperationDefinitionNode, parse, print_ast

from libs.testing.graphql import ROUTER_SECRET
from router.compose import compose
from router.executor import AiohttpTransport
from router.gateway import Gateway
from router.gateway.credential import SubgraphCredential
from router.sources import fetch_subgraph_sdls
from router.supergraph import load_supergraph
from tests.subgraphs.auth.fakes.oauth import FakeProviders
from tests.subgraphs.auth.helpers import PASSWORD, random_ip, unique_email
from tests.subgraphs.auth.test_social import authorize, social_input

CONTRACT = Path(__file__).resolve().parents[3] / "schema" / "operations" / "mobile.graphql"


def operation(name: str) -> str:
    for d in parse(CONTRACT.read_text()).definitions:
        if isinstance(d, OperationDefinitionNode) and d.name and d.name.value == name:
            return print_ast(d)
    raise KeyError(name)


@pytest.fixture(scope="session")
async def gateway(auth_url: str, other_url: str) -> AsyncIterator[Gateway]:
    transport = AiohttpTransport(timeout=10)
    sdls = await fetch_subgraph_sdls([("auth", auth_url, None), ("other", other_url, None)], wait=10)
    # Signed as the router process signs, so the auth subgraph believes the X-Forwarded-For below.
    yield Gateway(load_supergraph(compose(sdls)), transport, credential=SubgraphCredential(ROUTER_SECRET))
    await transport.close()


async def run(gateway: Gateway, name: str, variables: dict[str, Any] | None = None,
              token: str | None = None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    headers["x-forwarded-for"] = random_ip()
    result: dict[str, Any] = await gateway.execute_dict(operation(name), variables, name, headers)
    return result


def codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors") or []]


async def test_password_2fa_rotation_and_log_out_through_the_router(gateway: Gateway) -> None:
    email = unique_email("router")
    signed = await run(gateway, "SignUp", {"input": {"email": email, "password": PASSWORD,
                                                     "displayName": "라우터", "locale": "ko-KR"}})
    assert signed["data"]["signUp"]["user"]["email"] == email, signed
    token = signed["data"]["signUp"]["tokens"]["accessToken"]

    started = await run(gateway, "StartTotpEnrollment", token=token)
    secret = started["data"]["startTotpEnrollment"]["secret"]
    confirmed = await run(gateway, "ConfirmTotpEnrollment", {"code": pyotp.TOTP(secret).now()}, token=token)
    assert len(confirmed["data"]["confirmTotpEnrollment"]["backupCodes"]) == 10

    challenge = await run(gateway, "LogIn", {"input": {"email": email, "password": PASSWORD}})
    assert challenge["data"]["logIn"]["__typename"] == "TwoFactorChallenge", challenge
    verified = await run(gateway, "VerifyTwoFactor", {"input": {
        "challengeToken": challenge["data"]["logIn"]["challengeToken"],
        "code": pyotp.TOTP(secret).at(time.time() + 30)}})
    tokens = verified["data"]["verifyTwoFactor"]["tokens"]
    assert tokens["tokenType"] == "Bearer", verified

    rotated = await run(gateway, "RefreshTokens", {"refreshToken": tokens["refreshToken"]})
    fresh = rotated["data"]["refreshTokens"]
    reused = await run(gateway, "RefreshTokens", {"refreshToken": tokens["refreshToken"]})
    assert codes(reused) == ["UNAUTHENTICATED"]
    # Reuse ended that session: its newest access token is refused by the other subgraph via the router.
    bearer = {"authorization": f"Bearer {fresh['accessToken']}"}
    whoami = await gateway.execute_dict("{ whoami }", None, None, bearer)
    assert codes(whoami) == ["UNAUTHENTICATED"]

    assert (await run(gateway, "LogOut", token=token))["data"]["logOut"] is True
    after = await gateway.execute_dict("{ whoami }", None, None, {"authorization": f"Bearer {token}"})
    assert codes(after) == ["UNAUTHENTICATED"]


async def test_social_log_in_through_the_router(gateway: Gateway, auth_url: str,
                                                providers: FakeProviders) -> None:
    email = unique_email("router-kakao")
    providers.sign_in_as("KAKAO", sub="777" + str(int(time.time())), email=email, name="카카오")
    flow = await authorize(auth_url, "KAKAO")
    result = await run(gateway, "SocialLogIn", social_input(flow))
    assert result["data"]["socialLogIn"]["__typename"] == "AuthSuccess", result
    assert result["data"]["socialLogIn"]["user"]["email"] == email
