"""Subscribing at the owning subgraph over graphql-transport-ws (Strawberry has no callback mode)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson

PROTOCOL = "graphql-transport-ws"


class UpstreamClosed(Exception):
    """The subgraph ended the socket (restart, crash) while the subscription was live."""


class UpstreamError(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0].get("message", "subscription error") if errors else "subscription error")
        self.errors = errors


def ws_url(url: str) -> str:
    if url.startswith("https://"):
        return "wss://" + url[len("https://") :]
    if url.startswith("http://"):
        return "ws://" + url[len("http://") :]
    return url


async def subscribe_upstream(
    session: aiohttp.ClientSession,
    url: str,
    query: str,
    variables: dict[str, Any],
    init_payload: dict[str, Any],
    headers: dict[str, str],
) -> AsyncIterator[dict[str, Any]]:
    """Yields each `next` payload; raises UpstreamError / UpstreamClosed; closes the socket when dropped."""
    try:
        ws = await session.ws_connect(ws_url(url), protocols=(PROTOCOL,), headers=headers, heartbeat=30)
    except (aiohttp.ClientError, OSError) as exc:
        raise UpstreamClosed(f"cannot connect: {exc}") from None
    try:
        await ws.send_str(orjson.dumps({"type": "connection_init", "payload": init_payload}).decode())
        ack = await ws.receive(timeout=10)
        if ack.type != aiohttp.WSMsgType.TEXT or orjson.loads(ack.data).get("type") != "connection_ack":
            raise UpstreamClosed("subgraph did not acknowledge the connection")
        await ws.send_str(
            orjson.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
            ).decode()
        )
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            m = orjson.loads(msg.data)
            t = m.get("type")
            if t == "next":
                yield m.get("payload") or {}
            elif t == "error":
                raise UpstreamError(list(m.get("payload") or []))
            elif t == "complete":
                return
            elif t == "ping":
                await ws.send_str('{"type":"pong"}')
        raise UpstreamClosed("the subgraph closed the connection")
    finally:
        if not ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError, aiohttp.ClientError):
                await ws.send_str('{"id":"1","type":"complete"}')
            await ws.close()
