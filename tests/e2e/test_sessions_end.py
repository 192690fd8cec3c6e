"""Sessions end everywhere (issue 15, item 6), through the router process and the real subgraphs: a logout, a
suspension or a password change ends the open subscriptions of the sessions it ends within 1 s, over
graphql-transport-ws, SSE and multipart, at the router and at the subgraph itself; token checks cost no Redis
round trip while the revocation view is fresh.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import websockets
from redis.asyncio import Redis

from libs.config import Settings
from libs.events import LiveHub
from libs.testing.graphql import gql
from tests.e2e.conftest import Stack, contract_operation
from tests.subgraphs.auth.helpers import set_roles

PASSWORD = "correct horse battery staple"
ON_NOTIFICATION = contract_operation("OnNotification")
ENDED_WITHIN_S = 1.0


def admin_op(name: str) -> str:
    return contract_operation(name, "admin.graphql")


async def sign_up(stack: Stack) -> dict[str, Any]:
    email = f"sess-{secrets.token_hex(5)}@example.com"
    r = await gql(stack.url, contract_operation("SignUp"),
                  {"input": {"email": email, "password": PASSWORD, "displayName": "세션", "locale": "ko-KR"}})
    assert "errors" not in r, r
    return {"id": r["data"]["signUp"]["user"]["id"], "email": email,
            "token": r["data"]["signUp"]["tokens"]["accessToken"]}


async def log_in(stack: Stack, email: str, password: str = PASSWORD) -> str:
    r = await gql(stack.url, contract_operation("LogIn"), {"input": {"email": email, "password": password}})
    assert r["data"]["logIn"]["__typename"] == "AuthSuccess", r
    token: str = r["data"]["logIn"]["tokens"]["accessToken"]
    return token


async def until_listening(settings: Settings, user_id: str) -> None:
    """Until the user's notification subscriptions reached the subgraph (one pub/sub subscriber per process
    however many sockets it serves, so a little longer for the others opened with the first)."""
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    hub = LiveHub(redis, settings)
    try:
        for _ in range(500):
            if await hub.listeners("notification", user_id):
                await asyncio.sleep(0.3)
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the subscription never reached the notification subgraph")
    finally:
        await redis.aclose()


# -- clients -----------------------------------------------------------------------------------------------
class WsClient:
    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def subscribe(self, op_id: str, query: str) -> None:
        await self.ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query}}))

    async def end_of(self, op_id: str, within_s: float) -> dict[str, Any]:
        """The message that ends `op_id` (error or complete), answering pings meanwhile."""
        deadline = time.monotonic() + within_s
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), max(0.01, deadline - time.monotonic()))
            msg = json.loads(raw)
            if msg.get("type") == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
            elif msg.get("id") == op_id and msg["type"] in ("error", "complete"):
                return dict(msg)

    async def silent_for(self, seconds: float) -> bool:
        try:
            msg = await self.end_of("1", seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"ended: {msg}")


@asynccontextmanager
async def ws_client(url: str, token: str) -> AsyncIterator[WsClient]:
    url = url.replace("http://", "ws://")
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        yield WsClient(ws)


class HttpStream:
    """A subscription over SSE (distinct connections) or Apollo's multipart protocol: its raw body."""

    def __init__(self, response: httpx.Response) -> None:
        self.body = b""
        self._chunks = response.aiter_raw()

    async def read_until(self, marker: bytes, within_s: float) -> bytes:
        deadline = time.monotonic() + within_s
        while marker not in self.body:
            self.body += await asyncio.wait_for(anext(self._chunks), max(0.01, deadline - time.monotonic()))
        return self.body


@asynccontextmanager
async def http_stream(url: str, token: str, accept: str) -> AsyncIterator[HttpStream]:
    headers = {"authorization": f"Bearer {token}", "accept": accept, "content-type": "application/json"}
    async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=None)) as client, client.stream(
        "POST", url, json={"query": ON_NOTIFICATION}, headers=headers
    ) as response:
        assert response.status_code == 200, await response.aread()
        yield HttpStream(response)


def unauthenticated(errors: Any) -> bool:
    return bool(errors) and all(e["extensions"]["code"] == "UNAUTHENTICATED" for e in errors)


# -- the tests ---------------------------------------------------------------------------------------------
async def test_a_logout_ends_that_sessions_websocket_subscription_within_a_second(
    stack: Stack, settings: Settings
) -> None:
    user = await sign_up(stack)
    other_session = await log_in(stack, user["email"])
    async with ws_client(stack.url, user["token"]) as ending, ws_client(stack.url, other_session) as staying:
        await ending.subscribe("1", ON_NOTIFICATION)
        await staying.subscribe("1", ON_NOTIFICATION)
        await until_listening(settings, user["id"])
        out = await gql(stack.url, contract_operation("LogOut"), token=user["token"])
        assert out == {"data": {"logOut": True}}, out
        started = time.monotonic()
        end = await ending.end_of("1", ENDED_WITHIN_S)
        took = time.monotonic() - started
        assert end["type"] == "error" and unauthenticated(end["payload"]), end
        assert took < ENDED_WITHIN_S
        # The socket's token is refused for anything new, and the user's other session goes on.
        await ending.subscribe("2", ON_NOTIFICATION)
        again = await ending.end_of("2", 2.0)
        assert again["type"] == "error" and unauthenticated(again["payload"]), again
        assert await staying.silent_for(0.5)


@pytest.mark.parametrize(("accept", "end_marker"), [
    ("text/event-stream", b"event: complete"),
    ('multipart/mixed;subscriptionSpec="1.0"', b"--graphql--"),
])
async def test_a_logout_ends_an_sse_or_multipart_subscription_with_a_last_error(
    stack: Stack, settings: Settings, accept: str, end_marker: bytes
) -> None:
    user = await sign_up(stack)
    async with http_stream(stack.url, user["token"], accept) as stream:
        await until_listening(settings, user["id"])
        await gql(stack.url, contract_operation("LogOut"), token=user["token"])
        started = time.monotonic()
        body = await stream.read_until(end_marker, ENDED_WITHIN_S)
        assert time.monotonic() - started < ENDED_WITHIN_S
    assert b'"UNAUTHENTICATED"' in body and b"Your session has ended" in body, body


async def test_a_suspension_ends_every_session_of_the_user_and_no_one_elses(
    stack: Stack, settings: Settings
) -> None:
    admin = await sign_up(stack)
    await set_roles(settings, admin["id"], "USER,ADMIN")
    admin_token = await log_in(stack, admin["email"])
    user, bystander = await sign_up(stack), await sign_up(stack)
    second = await log_in(stack, user["email"])
    async with ws_client(stack.url, user["token"]) as phone, \
            http_stream(stack.url, second, "text/event-stream") as tablet, \
            ws_client(stack.url, bystander["token"]) as someone_else:
        for client in (phone, someone_else):
            await client.subscribe("1", ON_NOTIFICATION)
        await until_listening(settings, user["id"])
        await until_listening(settings, bystander["id"])
        done = await gql(stack.url, admin_op("SuspendUser"),
                         {"userId": user["id"], "reason": "chargeback fraud"}, token=admin_token)
        assert done["data"]["suspendUser"]["status"] == "SUSPENDED", done
        started = time.monotonic()
        end = await phone.end_of("1", ENDED_WITHIN_S)
        body = await tablet.read_until(b"event: complete", ENDED_WITHIN_S)
        assert time.monotonic() - started < ENDED_WITHIN_S
        assert end["type"] == "error" and unauthenticated(end["payload"]), end
        assert b'"UNAUTHENTICATED"' in body
        assert await someone_else.silent_for(0.5)


async def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(
    stack: Stack, settings: Settings
) -> None:
    user = await sign_up(stack)
    other = await log_in(stack, user["email"])
    change = """mutation($input: ChangePasswordInput!) { changePassword(input: $input) }"""
    async with ws_client(stack.url, user["token"]) as here, ws_client(stack.url, other) as elsewhere:
        await here.subscribe("1", ON_NOTIFICATION)
        await elsewhere.subscribe("1", ON_NOTIFICATION)
        await until_listening(settings, user["id"])
        changed = await gql(stack.url, change, {"input": {"currentPassword": PASSWORD,
                                                          "newPassword": "a brand new passphrase 42"}},
                            token=user["token"])
        assert "errors" not in changed, changed
        end = await elsewhere.end_of("1", ENDED_WITHIN_S)
        assert end["type"] == "error" and unauthenticated(end["payload"]), end
        assert await here.silent_for(0.5)


async def test_the_subgraph_ends_its_own_subscription_of_a_revoked_session(
    stack: Stack, settings: Settings
) -> None:
    """Straight at the notification subgraph (no router in between): its socket ends the operation itself."""
    user = await sign_up(stack)
    async with ws_client(stack.subgraphs["notification"], user["token"]) as direct:
        await direct.subscribe("1", ON_NOTIFICATION)
        await until_listening(settings, user["id"])
        await gql(stack.url, contract_operation("LogOut"), token=user["token"])
        end = await direct.end_of("1", ENDED_WITHIN_S)
        assert end["type"] == "error" and unauthenticated(end["payload"]), end
        await direct.subscribe("2", ON_NOTIFICATION)  # and the socket's viewer is nobody now
        again = await direct.end_of("2", 2.0)
        assert again["type"] == "error" and unauthenticated(again["payload"]), again
