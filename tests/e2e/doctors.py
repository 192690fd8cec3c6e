"""Doctors for the end-to-end tests, made the way production makes them: an administrator grants DOCTOR
(auth publishes it, the video subgraph learns it), the doctor describes their practice, the administrator
verifies the license. All through the router."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from libs.config import Settings
from libs.testing.graphql import gql
from tests.e2e.conftest import Stack, contract_operation
from tests.subgraphs.auth.helpers import set_roles

PASSWORD = "correct horse battery staple"
PROFILE = "mutation($input: DoctorProfileInput!) { updateDoctorProfile(input: $input) { id verified } }"
AROUND_THE_CLOCK = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]


async def account(stack: Stack, name: str, locale: str = "ko-KR") -> dict[str, Any]:
    """A new user: id, email, access token."""
    email = f"video-{secrets.token_hex(4)}@example.com"
    r = await gql(stack.url, contract_operation("SignUp"),
                  {"input": {"email": email, "password": PASSWORD, "displayName": name, "locale": locale}})
    assert "errors" not in r, r
    return {"id": r["data"]["signUp"]["user"]["id"], "email": email,
            "token": r["data"]["signUp"]["tokens"]["accessToken"]}


async def log_in(stack: Stack, email: str) -> str:
    r = await gql(stack.url, contract_operation("LogIn"), {"input": {"email": email, "password": PASSWORD}})
    return str(r["data"]["logIn"]["tokens"]["accessToken"])


async def make_doctor(stack: Stack, settings: Settings, name: str, specialty: str) -> dict[str, Any]:
    """A verified doctor available around the clock: id, email, token (with the DOCTOR role)."""
    doctor, admin = await account(stack, name), await account(stack, "관리자")
    await set_roles(settings, admin["id"], "USER,ADMIN")  # test setup: the first administrator
    admin_token = await log_in(stack, admin["email"])
    granted = await gql(stack.url, contract_operation("GrantRole", "admin.graphql"),
                        {"userId": doctor["id"], "role": "DOCTOR"}, token=admin_token)
    assert granted["data"]["grantRole"]["roles"] == ["USER", "DOCTOR"], granted
    doctor["token"] = await log_in(stack, doctor["email"])
    practice = {"input": {"specialty": specialty, "languages": ["ko"], "licenseNumber": secrets.token_hex(4),
                          "clinic": "서울 내과의원", "availability": AROUND_THE_CLOCK}}
    for _ in range(200):  # until the video subgraph has read auth's event
        r = await gql(stack.url, PROFILE, practice, token=doctor["token"])
        if "errors" not in r:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"no doctor profile from auth's event: {r}")
    verified = await gql(stack.url, "mutation($id: ID!) { verifyDoctor(id: $id) { verified } }",
                         {"id": doctor["id"]}, token=admin_token)
    assert verified["data"]["verifyDoctor"]["verified"] is True, verified
    return doctor


def slot(minutes_ahead: int) -> datetime:
    """The first 5-minute boundary at least `minutes_ahead` from now (the booking grid)."""
    at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=minutes_ahead)
    return at + timedelta(minutes=(-at.minute) % 5)
