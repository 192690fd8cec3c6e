"""Client side of subscriptions: graphql-transport-ws (WebSocket), graphql-sse and multipart HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from router.gateway import Gateway, RequestError
from router.subscriptions.source import subscribe

log = logging.getLogger("router.subscriptions")
WS_PROTOCOL = "graphql-transport-ws"
MULTIPART_BOUNDARY = "graphql"
HEARTBEAT_SECONDS = 5.0
PART_HEAD = f"\r\n--{MULTIPART_BOUNDARY}\r\ncontent-type: application/json\r\n\r\n".encode()


def _headers_from(request: web.Request, init_payload: dict[str, Any] | None) -> dict[str, str]:
    """Request headers, overridden by auth-ish entries of the connection_init payload."""
    out = {k.lower(): v for k, v in request.headers.items()}
    for src in (init_payload or {}, (init_payload or {}).get("headers") or {}):
        if isinstance(src, dict):
            for k, v in src.items():
                if isinstance(v, str) and k.lower() in (
                    "authorization",
                    "accept-language",
                    "traceparent",
                    "x-request-id",
                ):
                    out[k.lower()] = v
    return out


class SubscriptionHandler:
    def __init__(self, router_app: Any) -> None:
        self.router_app = router_app
        self._session: aiohttp.ClientSession | None = None
        self._sockets: set[web.WebSocketResponse] = set()

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"router shutting down")
        if self._session is not None:
            await self._session.close()

    async def results(
        self, gw: Gateway, payload: dict[str, Any], headers: dict[str, str], init: dict[str, Any] | None
    ) -> AsyncGenerator[dict[str, Any], None]:
        """A subscription's results, or the single result of a query/mutation sent over a stream."""
        prep = gw.operations.prepare(str(payload.get("query") or ""), payload.get("operationName"))
        if prep.operation_type != "subscription":
            yield await gw.execute_dict(
                payload.get("query"), payload.get("variables"), payload.get("operationName"), headers
            )
            return
        async for r in subscribe(
            gw,
            self.session(),
            payload.get("query"),
            payload.get("variables"),
            payload.get("operationName"),
            headers,
            init,
        ):
            yield r

    # -- graphql-transport-ws ------------------------------------------------------------------------
    async def websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(protocols=(WS_PROTOCOL,), heartbeat=30)
        await ws.prepare(request)
        if ws.ws_protocol != WS_PROTOCOL:
            await ws.close(code=4406, message=b"Subprotocol not acceptable")
            return ws
        self._sockets.add(ws)
        ops: dict[str, asyncio.Task[None]] = {}
        init: dict[str, Any] | None = None
        try:
            try:
                first = await ws.receive(timeout=10)
            except TimeoutError:
                await ws.close(code=4408, message=b"Connection initialisation timeout")
                return ws
            if first.type != aiohttp.WSMsgType.TEXT:
                return ws
            msg = orjson.loads(first.data)
            if msg.get("type") != "connection_init":
                await ws.close(code=4401, message=b"Unauthorized")
                return ws
            init = msg.get("payload") if isinstance(msg.get("payload"), dict) else {}
            edge_auth = getattr(self.router_app, "edge_auth", None)
            if edge_auth is not None:
                reason = await edge_auth.refusal(_headers_from(request, init).get("authorization"))
                if reason is not None:
                    await ws.close(code=4403, message=b"Forbidden")
                    return ws
            await ws.send_str('{"type":"connection_ack"}')
            async for raw in ws:
                if raw.type != aiohttp.WSMsgType.TEXT:
                    break
                try:
                    m = orjson.loads(raw.data)
                except orjson.JSONDecodeError:
                    await ws.close(code=4400, message=b"Invalid message")
                    break
                t = m.get("type")
                if t == "ping":
                    await ws.send_str('{"type":"pong"}')
                elif t == "connection_init":
                    await ws.close(code=4429, message=b"Too many initialisation requests")
                    break
                elif t == "subscribe":
                    op_id = str(m.get("id"))
                    if op_id in ops:
                        await ws.close(code=4409, message=f"Subscriber for {op_id} already exists".encode())
                        break
                    headers = _headers_from(request, init)
                    ops[op_id] = asyncio.create_task(
                        self._run_ws_op(ws, op_id, m.get("payload") or {}, headers, init, ops)
                    )
                elif t == "complete":
                    task = ops.pop(str(m.get("id")), None)
                    if task is not None:
                        task.cancel()
        finally:
            for task in ops.values():
                task.cancel()
            for task in list(ops.values()):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self._sockets.discard(ws)
        return ws

    async def _run_ws_op(
        self,
        ws: web.WebSocketResponse,
        op_id: str,
        payload: dict[str, Any],
        headers: dict[str, str],
        init: dict[str, Any] | None,
        ops: dict[str, asyncio.Task[None]],
    ) -> None:
        gw = self.router_app.gateway
        try:
            if gw is None:
                raise RequestError(
                    [{"message": "The router is not ready yet.", "extensions": {"code": "NOT_READY"}}]
                )
            async for result in self.results(gw, payload, headers, init):
                if "data" not in result:
                    await ws.send_str(
                        orjson.dumps({"id": op_id, "type": "error", "payload": result["errors"]}).decode()
                    )
                    return
                await ws.send_str(orjson.dumps({"id": op_id, "type": "next", "payload": result}).decode())
            await ws.send_str(orjson.dumps({"id": op_id, "type": "complete"}).decode())
        except RequestError as exc:
            if not ws.closed:
                await ws.send_str(
                    orjson.dumps({"id": op_id, "type": "error", "payload": exc.errors}).decode()
                )
        except (ConnectionError, RuntimeError):
            pass  # the client went away
        except Exception:
            log.exception("subscription %s failed", op_id)
            if not ws.closed:
                err = [{"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
                await ws.send_str(orjson.dumps({"id": op_id, "type": "error", "payload": err}).decode())
        finally:
            ops.pop(op_id, None)

    # -- graphql-sse and multipart -------------------------------------------------------------------
    async def http_stream(self, request: web.Request, payload: dict[str, Any]) -> web.StreamResponse:
        gw = self.router_app.gateway
        accept = request.headers.get("accept", "")
        multipart = "multipart/mixed" in accept
        headers = {k.lower(): v for k, v in request.headers.items()}
        if isinstance(payload.get("variables"), str):
            try:
                payload["variables"] = orjson.loads(payload["variables"])
            except orjson.JSONDecodeError:
                payload["variables"] = None
        stream = self.results(gw, payload, headers, None)
        try:
            first: dict[str, Any] | None = await anext(stream)
        except RequestError as exc:
            return web.Response(
                status=exc.status, body=orjson.dumps({"errors": exc.errors}), content_type="application/json"
            )
        except StopAsyncIteration:
            first = None
        resp = web.StreamResponse(status=200)
        if multipart:
            resp.content_type = "multipart/mixed"
            resp.headers["Content-Type"] = (
                f'multipart/mixed; boundary="{MULTIPART_BOUNDARY}"; subscriptionSpec="1.0"'
            )
        else:
            resp.content_type = "text/event-stream"
            resp.headers["Cache-Control"] = "no-cache"
        await resp.prepare(request)
        write = self._write_multipart if multipart else self._write_sse
        try:
            if first is not None:
                await write(resp, first)
            pending = asyncio.ensure_future(anext(stream))
            while True:
                done, _ = await asyncio.wait({pending}, timeout=HEARTBEAT_SECONDS if multipart else 15)
                if not done:
                    if multipart:
                        await resp.write(PART_HEAD + b"{}")
                    else:
                        await resp.write(b": keep-alive\n\n")
                    continue
                try:
                    result = pending.result()
                except StopAsyncIteration:
                    break
                await write(resp, result)
                pending = asyncio.ensure_future(anext(stream))
            if multipart:
                await resp.write(f"\r\n--{MULTIPART_BOUNDARY}--\r\n".encode())
            else:
                await resp.write(b"event: complete\ndata:\n\n")
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            await stream.aclose()
        return resp

    async def _write_sse(self, resp: web.StreamResponse, result: dict[str, Any]) -> None:
        await resp.write(b"event: next\ndata: " + orjson.dumps(result) + b"\n\n")

    async def _write_multipart(self, resp: web.StreamResponse, result: dict[str, Any]) -> None:
        # Apollo's multipart subscription protocol: GraphQL results travel in `payload`, transport errors
        # (the subscription cannot continue) as top-level `errors`.
        body = (
            {"payload": result} if "data" in result else {"payload": None, "errors": result.get("errors", [])}
        )
        await resp.write(PART_HEAD + orjson.dumps(body))
