"""A minimal graphql-transport-ws client for subscription tests (what the router and subgraphs speak)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets


class Subscription:
    def __init__(self, ws: Any, op_id: str) -> None:
        self.ws = ws
        self.id = op_id

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """The next `next` payload of this operation; raises on `error` or timeout."""
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
            msg = json.loads(raw)
            if msg.get("type") == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            if msg.get("id") != self.id:
                continue
            if msg["type"] == "next":
                payload: dict[str, Any] = msg["payload"]
                return payload
            raise AssertionError(f"subscription ended: {msg}")

    async def nothing_within(self, seconds: float) -> bool:
        try:
            msg = await self.next(timeout=seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected message: {msg}")


@asynccontextmanager
async def subscribe(base_url: str, query: str, token: str | None,
                    variables: dict[str, Any] | None = None) -> AsyncIterator[Subscription]:
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": query, "variables": variables or {}}}))
        yield Subscription(ws, "1")
        await ws.send(json.dumps({"id": "1", "type": "complete"}))
