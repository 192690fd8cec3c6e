"""Ending HTTP-streamed subscriptions when the router shuts down: a last result with the error code
`SHUTTING_DOWN`, then the stream's normal end (multipart's final boundary, SSE's `complete`), so clients
see a clean close and subscribe again (to another router) instead of waiting on a dead socket."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

SHUTTING_DOWN: dict[str, Any] = {
    "errors": [
        {
            "message": "The router is shutting down; subscribe again to continue.",
            "extensions": {"code": "SHUTTING_DOWN"},
        }
    ]
}


async def until_stopped(
    results: AsyncIterator[dict[str, Any]], stopping: asyncio.Event
) -> AsyncIterator[dict[str, Any]]:
    """`results` until it ends or `stopping` is set (then SHUTTING_DOWN, and the upstream is closed)."""
    it = aiter(results)
    stop = asyncio.ensure_future(stopping.wait())
    try:
        while True:
            nxt: asyncio.Future[dict[str, Any]] = asyncio.ensure_future(anext(it))
            await asyncio.wait((nxt, stop), return_when=asyncio.FIRST_COMPLETED)
            if not nxt.done():
                nxt.cancel()
                with contextlib.suppress(BaseException):
                    await nxt
                yield SHUTTING_DOWN
                return
            try:
                result = nxt.result()
            except StopAsyncIteration:
                return
            yield result
    finally:
        stop.cancel()
        aclose = getattr(it, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()
