"""The lean subgraph HTTP client (router/executor/http1.py) against servers that answer the ways HTTP/1.1
allows: chunked bodies, `Connection: close`, idle connections dropped by the server, answers cut short,
slow answers, non-JSON errors. Each server is a real socket server written byte by byte."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from router.executor import AiohttpTransport, SubgraphFetchError
from router.executor.http1 import Http1Client

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, dict[str, int]], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes] | None:
    head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
    if not head:
        return None
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head, await reader.readexactly(length)


@asynccontextmanager
async def server(handler: Handler) -> AsyncIterator[tuple[int, dict[str, int]]]:
    stats = {"connections": 0, "open": 0, "max_open": 0, "requests": 0}

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stats["connections"] += 1
        stats["open"] += 1
        stats["max_open"] = max(stats["max_open"], stats["open"])
        try:
            await handler(reader, writer, stats)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            stats["open"] -= 1
            writer.close()

    srv = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    try:
        yield srv.sockets[0].getsockname()[1], stats
    finally:
        srv.close()
        await srv.wait_closed()


def answer(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


async def echo_keepalive(r: asyncio.StreamReader, w: asyncio.StreamWriter, stats: dict[str, int]) -> None:
    while (req := await read_request(r)) is not None:
        stats["requests"] += 1
        w.write(answer(b'{"data":{"echo":' + req[1] + b"}}"))
        await w.drain()


async def test_keep_alive_connections_are_reused_and_bodies_arrive_whole() -> None:
    client = Http1Client()
    async with server(echo_keepalive) as (port, stats):
        for i in range(5):
            status, body = await client.post("127.0.0.1", port, "/graphql", b"%d" % i, {"x-a": "b"}, 5)
            assert (status, body) == (200, b'{"data":{"echo":%d}}' % i)
        assert stats["connections"] == 1
    client.close()


async def test_chunked_answer_is_joined() -> None:
    async def chunked(r: asyncio.StreamReader, w: asyncio.StreamWriter, stats: dict[str, int]) -> None:
        await read_request(r)
        w.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for part in (b'{"data":', b'{"x":', b"1}}"):
            w.write(b"%x\r\n%s\r\n" % (len(part), part))
            await w.drain()
            await asyncio.sleep(0.01)
        w.write(b"0\r\n\r\n")
        await w.drain()

    client = Http1Client()
    async with server(chunked) as (port, _):
        assert await client.post("127.0.0.1", port, "/", b"{}", {}, 5) == (200, b'{"data":{"x":1}}')
    client.close()


async def test_connection_close_and_idle_connections_dropped_by_the_server() -> None:
    async def one_per_connection(
        r: asyncio.StreamReader, w: asyncio.StreamWriter, stats: dict[str, int]
    ) -> None:
        await read_request(r)
        stats["requests"] += 1
        # Odd requests say so; even ones close silently after answering (an idle timeout on the server).
        extra = "Connection: close\r\n" if stats["requests"] % 2 else ""
        w.write(answer(b'{"data":{}}', extra=extra))
        await w.drain()

    client = Http1Client()
    async with server(one_per_connection) as (port, stats):
        for _ in range(4):
            assert await client.post("127.0.0.1", port, "/", b"{}", {}, 5) == (200, b'{"data":{}}')
            await asyncio.sleep(0.05)  # the server's close reaches the idle connection
        assert stats["connections"] == 4
    client.close()


async def test_answer_cut_short_fails_and_the_connection_is_not_reused() -> None:
    async def cut(r: asyncio.StreamReader, w: asyncio.StreamWriter, stats: dict[str, int]) -> None:
        await read_request(r)
        stats["requests"] += 1
        if stats["requests"] == 1:
            w.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"data":')
            await w.drain()
            return  # closes with 92 bytes missing
        w.write(answer(b'{"data":{}}'))
        await w.drain()

    transport = AiohttpTransport(timeout=5, dedup=False)
    async with server(cut) as (port, stats):
        url = f"http://127.0.0.1:{port}/graphql"
        with pytest.raises(SubgraphFetchError):
            await transport.post("s", url, b"{}", {}, False)
        assert await transport.post("s", url, b"{}", {}, False) == b'{"data":{}}'
        assert stats["connections"] == 2
    await transport.close()


async def test_slow_answer_times_out_and_a_refused_connection_is_a_fetch_error() -> None:
    async def slow(r: asyncio.StreamReader, w: asyncio.StreamWriter, stats: dict[str, int]) -> None:
        await read_request(r)
        await asyncio.sleep(2)

    transport = AiohttpTransport(timeout=0.2, dedup=False)
    async with server(slow) as (port, _):
        with pytest.raises(SubgraphFetchError, match="timed out"):
            await transport.post("s", f"http://127.0.0.1:{port}/", b"{}", {}, False)
    with pytest.raises(SubgraphFetchError):  # the server is gone: nothing listens there any more
        await transport.post("s", f"http://127.0.0.1:{port}/", b"{}", {}, False)
    await transport.close()


async def test_non_json_error_page_is_a_fetch_error_and_json_errors_pass_through() -> None:
    async def errors(r: asyncio.StreamReader, w: asyncio.StreamWriter, stats: dict[str, int]) -> None:
        while await read_request(r) is not None:
            stats["requests"] += 1
            if stats["requests"] == 1:
                w.write(answer(b"<html>Bad Gateway</html>", "502 Bad Gateway"))
            else:
                w.write(answer(b'{"errors":[{"message":"no"}]}', "400 Bad Request"))
            await w.drain()

    transport = AiohttpTransport(timeout=5, dedup=False)
    async with server(errors) as (port, _):
        url = f"http://127.0.0.1:{port}/"
        with pytest.raises(SubgraphFetchError, match="HTTP 502"):
            await transport.post("s", url, b"{}", {}, False)
        assert await transport.post("s", url, b"{}", {}, False) == b'{"errors":[{"message":"no"}]}'
    await transport.close()


async def test_headers_are_sent_and_line_breaks_are_refused() -> None:
    seen: list[bytes] = []

    async def record(r: asyncio.StreamReader, w: asyncio.StreamWriter, stats: dict[str, int]) -> None:
        while (req := await read_request(r)) is not None:
            seen.append(req[0])
            w.write(answer(b"{}"))
            await w.drain()

    client = Http1Client()
    async with server(record) as (port, _):
        await client.post("127.0.0.1", port, "/g?x=1", b"{}", {"authorization": "Bearer t"}, 5)
        with pytest.raises(ValueError):
            await client.post("127.0.0.1", port, "/", b"{}", {"x-request-id": "a\r\nx-evil: 1"}, 5)
    client.close()
    assert seen[0].startswith(b"POST /g?x=1 HTTP/1.1\r\n")
    assert b"\r\nauthorization: Bearer t\r\n" in seen[0] and b"\r\nContent-Length: 2\r\n" in seen[0]
    assert len(seen) == 1


async def test_connections_per_host_are_limited() -> None:
    async def slowish(r: asyncio.StreamReader, w: asyncio.StreamWriter, stats: dict[str, int]) -> None:
        while await read_request(r) is not None:
            await asyncio.sleep(0.05)
            w.write(answer(b"{}"))
            await w.drain()

    client = Http1Client(limit_per_host=2)
    async with server(slowish) as (port, stats):
        got = await asyncio.gather(*(client.post("127.0.0.1", port, "/", b"{}", {}, 5) for _ in range(6)))
        assert got == [(200, b"{}")] * 6
        assert stats["max_open"] == 2
    client.close()


async def test_a_connection_idle_past_the_servers_keep_alive_is_not_reused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import router.executor.http1 as http1

    monkeypatch.setattr(http1, "IDLE_SECONDS", 0.05)
    client = Http1Client()
    async with server(echo_keepalive) as (port, stats):
        await client.post("127.0.0.1", port, "/", b"1", {}, 5)
        await asyncio.sleep(0.1)
        assert await client.post("127.0.0.1", port, "/", b"2", {}, 5) == (200, b'{"data":{"echo":2}}')
        assert stats["connections"] == 2
    client.close()
