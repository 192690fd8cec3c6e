"""A lean HTTP/1.1 client for subgraph POSTs: keep-alive connections per host, httptools parsing.

The router's fan-out makes 6-13 subgraph POSTs per client request; aiohttp's client spends about 165 µs of
CPU on each (request object, headers multidict, timers, stream reader), this one about 30 µs
(`bench/router/cpu_per_request.py`, docs/ROUTER.md). It writes the request in one `write`, parses the
answer with httptools (the parser uvicorn uses) and hands back (status, body). Plain `http://` only;
the transport keeps aiohttp for anything else (TLS, ...).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import httptools

# An idle connection older than this is closed instead of reused: below the keep-alive timeouts of uvicorn
# and Node.js (5 s), so a request is not written onto a socket the server is just closing.
IDLE_SECONDS = 4.0


class ConnectionFailed(Exception):
    """The connection failed before a whole answer arrived (refused, reset, closed, malformed)."""


class _Connection(asyncio.Protocol):
    __slots__ = ("chunks", "closed", "idle_since", "keep_alive", "parser", "status", "transport", "waiter")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.chunks: list[bytes] = []
        self.status = 0
        self.keep_alive = True
        self.closed = False
        self.idle_since = 0.0

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionFailed(f"invalid HTTP response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(ConnectionFailed(str(exc) if exc else "the subgraph closed the connection"))

    def eof_received(self) -> bool:
        self.closed = True
        return False  # close our side too

    # -- httptools callbacks
    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        body = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
        self.chunks = []
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((self.status, body))

    def _fail(self, exc: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _Host:
    """The connections to one host:port, idle ones reused last-in first-out."""

    def __init__(self, host: str, port: int, limit: int) -> None:
        self.host, self.port = host, port
        self.idle: list[_Connection] = []
        self.active = 0
        self.limit = limit
        self.queue: deque[asyncio.Future[None]] = deque()


class Http1Client:
    def __init__(self, limit_per_host: int = 256) -> None:
        self.limit_per_host = limit_per_host
        self.hosts: dict[tuple[str, int], _Host] = {}

    async def post(
        self, host: str, port: int, target: str, body: bytes, headers: dict[str, str], limit_s: float | None
    ) -> tuple[int, bytes]:
        """(status, body) of one POST within `limit_s` seconds (connecting included); ConnectionFailed or
        TimeoutError when there is no whole answer."""
        h = self.hosts.get((host, port))
        if h is None:
            h = self.hosts[(host, port)] = _Host(host, port, self.limit_per_host)
        head = _head(target, h, len(body), headers)
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(limit_s):
            conn = await self._acquire(h, loop)
            try:
                waiter = conn.waiter = loop.create_future()
                assert conn.transport is not None
                conn.transport.write(head + body)
                result = await waiter
            except BaseException:
                conn.close()  # its state is unknown (timed out, cancelled, failed): never reuse it
                self._release(h, None)
                raise
            self._release(h, conn)
            return result

    async def _acquire(self, h: _Host, loop: asyncio.AbstractEventLoop) -> _Connection:
        while h.active >= h.limit:
            fut: asyncio.Future[None] = loop.create_future()
            h.queue.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                if fut.done() and not fut.cancelled():
                    self._wake(h)  # woken, then cancelled: hand the free slot on
                raise
        h.active += 1
        try:
            now = time.monotonic()
            while h.idle:
                conn = h.idle.pop()
                if not conn.closed and now - conn.idle_since < IDLE_SECONDS:
                    return conn
                conn.close()
            try:
                _, conn = await loop.create_connection(_Connection, h.host, h.port)
            except OSError as exc:
                raise ConnectionFailed(str(exc) or exc.__class__.__name__) from None
            return conn
        except BaseException:
            self._release(h, None)
            raise

    def _release(self, h: _Host, conn: _Connection | None) -> None:
        h.active -= 1
        if conn is not None:
            if conn.keep_alive and not conn.closed:
                conn.idle_since = time.monotonic()
                h.idle.append(conn)
            else:
                conn.close()
        self._wake(h)

    @staticmethod
    def _wake(h: _Host) -> None:
        while h.queue:
            fut = h.queue.popleft()
            if not fut.done():
                fut.set_result(None)
                break

    def close(self) -> None:
        for h in self.hosts.values():
            for conn in h.idle:
                conn.close()
            h.idle.clear()
        self.hosts.clear()


def _head(target: str, h: _Host, length: int, headers: dict[str, str]) -> bytes:
    lines = [f"POST {target} HTTP/1.1\r\nHost: {h.host}:{h.port}\r\nContent-Length: {length}\r\n"]
    for k, v in headers.items():
        if "\n" in v or "\r" in v or "\n" in k or "\r" in k:
            raise ValueError(f"header {k!r} contains a line break")
        lines.append(f"{k}: {v}\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("utf-8", "surrogateescape")
