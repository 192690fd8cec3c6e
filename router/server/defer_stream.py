"""@defer over multipart HTTP (`multipart/mixed;deferSpec=20220824`), framed like subscriptions' multipart.

A client that does not accept that format is answered as Apollo Router answers it: 406 with DEFER_BAD_HEADER
when a fragment would be deferred, the whole result at once when none is (`@defer(if: false)`).
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from router.defer import DEFER_BAD_HEADER, deferred_results, split_request
from router.gateway import Gateway, RequestError
from router.gateway.prepare import gql_error
from router.server.http_protocol import JSON, Accepts, request_error_status
from router.subscriptions.multipart import DEFER_CONTENT_TYPE, MultipartFramer


async def serve_multipart(
    request: web.Request,
    gw: Gateway,
    params: dict[str, Any],
    accepts: Accepts,
    headers: Any,
    allow_mutation: bool,
) -> web.StreamResponse:
    media = accepts.single or JSON
    try:
        split = split_request(gw, params)
        if split.parts and not accepts.multipart_defer:
            return _json(406, {"errors": [gql_error(DEFER_BAD_HEADER, "DEFER_BAD_HEADER")]}, media)
        results = await deferred_results(gw, params, headers, allow_mutation)
    except RequestError as exc:
        status = request_error_status(media, exc.status, exc.errors)
        return _json(status, {"errors": exc.errors}, media)
    if not split.parts and accepts.single is not None:
        result = await anext(results)
        return _json(200, result, media)
    framer = MultipartFramer()
    resp = web.StreamResponse(
        status=200,
        headers={"Content-Type": DEFER_CONTENT_TYPE, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    try:
        await resp.prepare(request)
        async for payload in results:
            last = not payload.get("hasNext", False)
            await resp.write(framer.part(orjson.dumps(payload), last))
        if not framer.finished:
            await resp.write(framer.end())
        await resp.write_eof()
    except ConnectionError:
        pass  # the client went away: closing the results cancels the fetches still running
    finally:
        aclose = getattr(results, "aclose", None)
        if aclose is not None:
            await aclose()
    return resp


def _json(status: int, payload: Any, media: str) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(payload), content_type=media)
