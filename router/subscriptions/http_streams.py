"""Results streamed over HTTP: Apollo's multipart protocol and graphql-sse (distinct connections, and a single
connection with reservations).

Headers go out as soon as the operation is accepted, with a heartbeat at once and after every
`heartbeat_seconds` of silence, so an idle subscription is never a silent socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from router.subscriptions.multipart import SUBSCRIPTION_CONTENT_TYPE, MultipartFramer, subscription_part
from router.subscriptions.shutdown import SHUTTING_DOWN

SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",  # proxies (nginx) must not hold events back
}
SSE_KEEPALIVE = b":\n\n"
SSE_COMPLETE = b"event: complete\ndata:\n\n"
TOKEN_HEADER = "x-graphql-event-stream-token"
TOKEN_QUERY = "token"
RESERVATION_TTL_SECONDS = 60.0  # a reserved stream nobody connects to is dropped after this
MAX_RESERVATIONS = 10_000


def sse_event(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


async def _pump(
    resp: web.StreamResponse,
    chunks: asyncio.Queue[bytes | None],
    heartbeat: Callable[[], bytes],
    interval: float,
) -> None:
    """Writes queued chunks until None; a heartbeat after every `interval` without output."""
    while True:
        try:
            chunk = await asyncio.wait_for(chunks.get(), interval)
        except TimeoutError:
            await resp.write(heartbeat())
            continue
        if chunk is None:
            return
        await resp.write(chunk)


async def _feed(
    results: AsyncIterator[dict[str, Any]],
    chunks: asyncio.Queue[bytes | None],
    encode: Callable[[dict[str, Any]], tuple[bytes, bool]],
    end: Callable[[], bytes],
) -> None:
    last = False
    try:
        async for result in results:
            chunk, last = encode(result)
            await chunks.put(chunk)
            if last:
                break
        if not last:
            await chunks.put(end())
    finally:
        await chunks.put(None)


async def stream_multipart(
    request: web.Request, results: AsyncIterator[dict[str, Any]], heartbeat_seconds: float
) -> web.StreamResponse:
    """A subscription over Apollo's multipart protocol."""
    framer = MultipartFramer()
    headers = {
        "Content-Type": SUBSCRIPTION_CONTENT_TYPE,
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
    }

    def encode(result: dict[str, Any]) -> tuple[bytes, bool]:
        body, last = subscription_part(result)
        return framer.part(body, last), last

    return await _stream(
        request, headers, framer.heartbeat(), results, encode, framer.end, framer.heartbeat, heartbeat_seconds
    )


async def stream_sse(
    request: web.Request, results: AsyncIterator[dict[str, Any]], heartbeat_seconds: float
) -> web.StreamResponse:
    """graphql-sse, distinct connections mode: one operation, `next` events, then `complete`."""

    def encode(result: dict[str, Any]) -> tuple[bytes, bool]:
        return sse_event("next", result), False

    return await _stream(
        request,
        SSE_HEADERS,
        SSE_KEEPALIVE,
        results,
        encode,
        lambda: SSE_COMPLETE,
        lambda: SSE_KEEPALIVE,
        heartbeat_seconds,
    )


async def _stream(
    request: web.Request,
    headers: dict[str, str],
    first: bytes,
    results: AsyncIterator[dict[str, Any]],
    encode: Callable[[dict[str, Any]], tuple[bytes, bool]],
    end: Callable[[], bytes],
    heartbeat: Callable[[], bytes],
    heartbeat_seconds: float,
) -> web.StreamResponse:
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
    feeder = asyncio.create_task(_feed(results, chunks, encode, end))
    resp = web.StreamResponse(status=200, headers=headers)
    try:
        await resp.prepare(request)
        await resp.write(first)
        await _pump(resp, chunks, heartbeat, heartbeat_seconds)
        await resp.write_eof()
    except (ConnectionError, asyncio.CancelledError):
        pass  # the client went away: the finally below ends the upstream subscription
    finally:
        feeder.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await feeder
        aclose = getattr(results, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()
    return resp


# -- graphql-sse, single connection mode ---------------------------------------------------------------
def _owner(headers: Any) -> bytes:
    """Whose stream it is: its operations and the stream itself must carry the reserving credentials."""
    return hashlib.blake2b((headers.get("authorization") or "").encode(), digest_size=16).digest()


@dataclass
class Reservation:
    owner: bytes
    created: float = field(default_factory=time.monotonic)
    chunks: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    ops: dict[str, asyncio.Task[None] | None] = field(default_factory=dict)
    connected: bool = False

    async def run_op(self, op_id: str, results: AsyncIterator[dict[str, Any]]) -> None:
        try:
            async for result in results:
                await self.chunks.put(sse_event("next", {"id": op_id, "payload": result}))
            await self.chunks.put(sse_event("complete", {"id": op_id}))
        finally:
            self.ops.pop(op_id, None)
            aclose = getattr(results, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()


class SingleConnections:
    """Reservations (PUT), their one event stream (GET), operations onto them (POST with the token; 202) and
    their cancellation (DELETE ?operationId=)."""

    def __init__(self) -> None:
        self.streams: dict[str, Reservation] = {}

    @staticmethod
    def token_of(request: web.Request) -> str | None:
        return request.headers.get(TOKEN_HEADER) or request.query.get(TOKEN_QUERY) or None

    def _expire(self) -> None:
        now = time.monotonic()
        for token, r in list(self.streams.items()):
            if not r.connected and now - r.created > RESERVATION_TTL_SECONDS:
                self._drop(token)

    def _drop(self, token: str) -> None:
        r = self.streams.pop(token, None)
        if r is not None:
            for task in r.ops.values():
                if task is not None:
                    task.cancel()

    def reserve(self, request: web.Request) -> web.Response:
        self._expire()
        if len(self.streams) >= MAX_RESERVATIONS:
            return _json_error(503, "Too many reserved event streams; try again shortly.", "UNAVAILABLE")
        token = secrets.token_urlsafe(24)
        self.streams[token] = Reservation(_owner(request.headers))
        return web.Response(status=201, text=token, content_type="text/plain", charset="utf-8")

    def find(self, request: web.Request, token: str) -> Reservation | web.Response:
        r = self.streams.get(token)
        if r is None or r.owner != _owner(request.headers):
            return _json_error(404, "Stream not found.", "NOT_FOUND")
        return r

    async def stream(self, request: web.Request, token: str, heartbeat_seconds: float) -> web.StreamResponse:
        found = self.find(request, token)
        if isinstance(found, web.Response):
            return found
        if found.connected:
            return _json_error(409, "Stream already open.", "CONFLICT")
        found.connected = True
        resp = web.StreamResponse(status=200, headers=SSE_HEADERS)
        try:
            await resp.prepare(request)
            await resp.write(SSE_KEEPALIVE)
            await _pump(resp, found.chunks, lambda: SSE_KEEPALIVE, heartbeat_seconds)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if self.streams.get(token) is found:
                self._drop(token)
        return resp

    def refusal(self, request: web.Request, token: str, payload: dict[str, Any]) -> web.Response | None:
        """Why an operation cannot go onto this stream (checked before the operation is prepared), or None."""
        found = self.find(request, token)
        if isinstance(found, web.Response):
            return found
        op_id = _operation_id(payload)
        if not op_id:
            return _json_error(400, "Operation ID is missing (extensions.operationId).", "BAD_REQUEST")
        if op_id in found.ops:
            return _json_error(409, "Operation with ID already exists.", "CONFLICT")
        return None

    def start(
        self,
        request: web.Request,
        token: str,
        payload: dict[str, Any],
        results: AsyncIterator[dict[str, Any]],
    ) -> web.Response:
        refused = self.refusal(request, token, payload)
        if refused is not None:
            return refused
        found = self.streams[token]
        op_id = _operation_id(payload)
        found.ops[op_id] = asyncio.create_task(found.run_op(op_id, results))
        return web.Response(status=202)

    def stop(self, request: web.Request, token: str) -> web.Response:
        found = self.find(request, token)
        if isinstance(found, web.Response):
            return found
        op_id = request.query.get("operationId")
        if not op_id:
            return _json_error(400, "Operation ID is missing (?operationId=).", "BAD_REQUEST")
        task = found.ops.pop(op_id, None)
        if task is not None:
            task.cancel()
        return web.Response(status=200)

    async def close(self) -> None:
        """Shutdown: each running operation gets SHUTTING_DOWN and its `complete`, then the stream ends."""
        for token in list(self.streams):
            r = self.streams[token]
            ops = [op_id for op_id, task in r.ops.items() if task is not None]
            self._drop(token)
            for op_id in ops:
                await r.chunks.put(sse_event("next", {"id": op_id, "payload": SHUTTING_DOWN}))
                await r.chunks.put(sse_event("complete", {"id": op_id}))
            await r.chunks.put(None)


def _operation_id(payload: dict[str, Any]) -> str:
    ext = payload.get("extensions")
    op_id = ext.get("operationId") if isinstance(ext, dict) else None
    return str(op_id) if op_id is not None else ""


def _json_error(status: int, message: str, code: str) -> web.Response:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    return web.Response(status=status, body=body, content_type="application/json")
