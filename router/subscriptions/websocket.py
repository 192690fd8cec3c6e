"""GraphQL over WebSocket: `graphql-transport-ws` (graphql-ws 5/6, Apollo Client's GraphQLWsLink, Apollo
Kotlin, Apollo iOS) and the legacy `graphql-ws` of subscriptions-transport-ws (older Apollo apps). The
subprotocol is chosen in the handshake; a request offering neither is refused there with 400, never after
the upgrade.

The router pings (a `ping` message, or a ping frame plus `ka` on the legacy protocol) every `ws_ping_seconds`
and closes a socket from which nothing has arrived `ws_pong_timeout_seconds` after a ping: phones and NATs
drop silent sockets, and a dead client must not hold an upstream subscription open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from router.gateway import RequestError
from router.subscriptions.connection_params import headers_from_params
from router.subscriptions.settings import StreamSettings

log = logging.getLogger("router.subscriptions")
TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
PROTOCOLS = (TRANSPORT_WS, LEGACY_WS)
PONG_TIMEOUT_CLOSE = (1001, b"Pong timeout")
INTERNAL_ERROR = [{"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]

# (payload, headers, init payload) -> results; raises RequestError when the operation cannot run
OpenResults = Callable[
    [dict[str, Any], dict[str, str], dict[str, Any]], Awaitable[AsyncIterator[dict[str, Any]]]
]
# the connection's headers -> why its token is refused, or None
Refusal = Callable[[dict[str, str]], Awaitable[str | None]]


def chosen_protocol(request: web.Request) -> str | None:
    offered = [p.strip() for p in request.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    for p in offered:  # the client's order of preference
        if p in PROTOCOLS:
            return p
    return None


def handshake_refusal() -> web.Response:
    body = {
        "errors": [
            {
                "message": "WebSocket subprotocol must be graphql-transport-ws or graphql-ws "
                "(Sec-WebSocket-Protocol).",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]
    }
    return web.Response(status=400, body=orjson.dumps(body), content_type="application/json")


class Connection:
    """One client socket: the message loop, the keep-alive, and its running operations."""

    init_type = "connection_init"

    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        settings: StreamSettings,
        open_results: OpenResults,
        refusal: Refusal,
    ) -> None:
        self.ws = ws
        self.request = request
        self.settings = settings
        self.open_results = open_results
        self.refusal = refusal
        self.ops: dict[str, asyncio.Task[None]] = {}
        self.headers: dict[str, str] = {}
        self.init: dict[str, Any] = {}
        self.last_seen = time.monotonic()

    async def send(self, message: dict[str, Any]) -> None:
        if not self.ws.closed:
            await self.ws.send_str(orjson.dumps(message).decode())

    async def close(self, code: int, reason: bytes) -> None:
        await self.ws.close(code=code, message=reason)

    async def run(self) -> None:
        keepalive: asyncio.Task[None] | None = None
        try:
            if not await self.initialise():
                return
            keepalive = asyncio.create_task(self.keepalive())
            while True:
                msg = await self.receive()
                if msg is None:
                    return
                if not await self.handle(msg):
                    return
        finally:
            if keepalive is not None:
                keepalive.cancel()
            for task in list(self.ops.values()):
                task.cancel()
            for task in list(self.ops.values()):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def receive(self, wait: float | None = None) -> dict[str, Any] | None:
        """The next text message as JSON (None: the socket is done); answers ping frames on the way."""
        while True:
            raw = await self.ws.receive(timeout=wait)
            self.last_seen = time.monotonic()
            if raw.type == aiohttp.WSMsgType.PING:
                await self.ws.pong(raw.data)
                continue
            if raw.type == aiohttp.WSMsgType.PONG:
                continue
            if raw.type != aiohttp.WSMsgType.TEXT:
                return None
            try:
                msg = orjson.loads(raw.data)
            except orjson.JSONDecodeError:
                msg = None
            if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
                await self.close(4400, b"Invalid message received")
                return None
            return msg

    async def initialise(self) -> bool:
        try:
            first = await self.receive(wait=self.settings.ws_init_timeout_seconds)
        except TimeoutError:
            await self.close(4408, b"Connection initialisation timeout")
            return False
        if first is None:
            return False
        if first["type"] != self.init_type:
            await self.close(4401, b"Unauthorized")
            return False
        payload = first.get("payload")
        self.init = payload if isinstance(payload, dict) else {}
        self.headers = headers_from_params(self.request.headers, self.init)
        reason = await self.refusal(self.headers)
        if reason is not None:
            await self.refuse(reason)
            return False
        await self.acknowledge()
        return True

    async def keepalive(self) -> None:
        s = self.settings
        with contextlib.suppress(ConnectionError, RuntimeError):
            await asyncio.sleep(s.ws_ping_seconds)
            while not self.ws.closed:
                sent = time.monotonic()
                await self.ping()
                await asyncio.sleep(s.ws_pong_timeout_seconds)
                if self.last_seen < sent and not self.ws.closed:
                    await self.close(*PONG_TIMEOUT_CLOSE)
                    return
                await asyncio.sleep(max(0.0, s.ws_ping_seconds - s.ws_pong_timeout_seconds))

    async def run_op(self, op_id: str, payload: dict[str, Any]) -> None:
        try:
            results = await self.open_results(payload, self.headers, self.init)
            try:
                async for result in results:
                    if "data" not in result and "incremental" not in result:  # cannot go on (subgraph gone)
                        await self.send_error(op_id, result.get("errors") or [])
                        return
                    await self.send_result(op_id, result)
            finally:
                aclose = getattr(results, "aclose", None)
                if aclose is not None:
                    with contextlib.suppress(Exception):
                        await aclose()
            await self.send({"id": op_id, "type": "complete"})
        except RequestError as exc:
            await self.send_error(op_id, exc.errors)
        except (ConnectionError, RuntimeError):
            pass  # the client went away
        except Exception:
            log.exception("operation %s failed", op_id)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.send_error(op_id, INTERNAL_ERROR)
        finally:
            self.ops.pop(op_id, None)

    def start(self, op_id: str, payload: Any) -> None:
        self.ops[op_id] = asyncio.create_task(
            self.run_op(op_id, payload if isinstance(payload, dict) else {})
        )

    def stop(self, op_id: str) -> None:
        task = self.ops.pop(op_id, None)
        if task is not None:
            task.cancel()

    # protocol specifics
    async def refuse(self, reason: str) -> None:
        raise NotImplementedError

    async def acknowledge(self) -> None:
        raise NotImplementedError

    async def ping(self) -> None:
        raise NotImplementedError

    async def handle(self, msg: dict[str, Any]) -> bool:
        raise NotImplementedError

    async def send_result(self, op_id: str, result: dict[str, Any]) -> None:
        raise NotImplementedError

    async def send_error(self, op_id: str, errors: list[dict[str, Any]]) -> None:
        raise NotImplementedError


class TransportWsConnection(Connection):
    """graphql-transport-ws (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md)."""

    async def refuse(self, reason: str) -> None:
        await self.close(4403, b"Forbidden")

    async def acknowledge(self) -> None:
        await self.send({"type": "connection_ack"})

    async def ping(self) -> None:
        await self.send({"type": "ping"})

    async def handle(self, msg: dict[str, Any]) -> bool:
        t = msg["type"]
        if t == "ping":
            await self.send({"type": "pong"})
        elif t == "pong":
            pass
        elif t == "subscribe":
            op_id = msg.get("id")
            if not isinstance(op_id, str) or not op_id:
                await self.close(4400, b"Invalid message received")
                return False
            if op_id in self.ops:
                await self.close(4409, f"Subscriber for {op_id} already exists".encode()[:120])
                return False
            self.start(op_id, msg.get("payload"))
        elif t == "complete":
            self.stop(str(msg.get("id")))
        elif t == "connection_init":
            await self.close(4429, b"Too many initialisation requests")
            return False
        else:
            await self.close(4400, b"Invalid message received")
            return False
        return True

    async def send_result(self, op_id: str, result: dict[str, Any]) -> None:
        await self.send({"id": op_id, "type": "next", "payload": result})

    async def send_error(self, op_id: str, errors: list[dict[str, Any]]) -> None:
        await self.send({"id": op_id, "type": "error", "payload": errors})


class LegacyWsConnection(Connection):
    """The `graphql-ws` subprotocol of subscriptions-transport-ws: start/stop, data/error/complete, `ka`."""

    async def refuse(self, reason: str) -> None:
        await self.send({"type": "connection_error", "payload": {"message": reason}})
        await self.close(4403, b"Forbidden")

    async def acknowledge(self) -> None:
        await self.send({"type": "connection_ack"})
        await self.send({"type": "ka"})  # the client arms its keep-alive timer on the first one

    async def ping(self) -> None:
        await self.send({"type": "ka"})
        await self.ws.ping()

    async def handle(self, msg: dict[str, Any]) -> bool:
        t = msg["type"]
        if t == "start":
            op_id = msg.get("id")
            if not isinstance(op_id, str) or not op_id:
                await self.send({"type": "error", "payload": {"message": "Operation id is missing"}})
                return True
            self.stop(op_id)  # the protocol lets a client restart an id
            self.start(op_id, msg.get("payload"))
        elif t == "stop":
            self.stop(str(msg.get("id")))
        elif t == "connection_terminate":
            await self.close(1000, b"")
            return False
        elif t == "connection_init":
            await self.acknowledge()
        else:
            await self.send({"type": "error", "payload": {"message": f"Invalid message type {t!r}"}})
        return True

    async def send_result(self, op_id: str, result: dict[str, Any]) -> None:
        await self.send({"id": op_id, "type": "data", "payload": result})

    async def send_error(self, op_id: str, errors: list[dict[str, Any]]) -> None:
        await self.send({"id": op_id, "type": "error", "payload": errors})
