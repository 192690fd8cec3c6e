"""HTTP server (aiohttp.web): /graphql (POST, GET, GraphiQL), /health, /ready.

The gateway is attached once the supergraph is loaded, so /health answers while the router is
still waiting for subgraphs and /ready turns 200 only afterwards.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from aiohttp import web

from router.gateway import Gateway
from router.server.edge_auth import EdgeAuth, ForwardedFor, refused
from router.server.graphiql import GRAPHIQL_HTML

log = logging.getLogger("router.server")

GATEWAY_KEY: web.AppKey[list[Gateway | None]] = web.AppKey("gateway", list)
JSON = "application/json"


def _json(status: int, payload: Any) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(payload), content_type=JSON)


def _error(status: int, message: str, code: str = "BAD_REQUEST") -> web.Response:
    return _json(status, {"errors": [{"message": message, "extensions": {"code": code}}]})


class RouterApp:
    def __init__(self) -> None:
        self.gateway: Gateway | None = None
        self.app = web.Application(client_max_size=8 * 1024 * 1024)
        self.app.router.add_get("/health", self.health)
        self.app.router.add_get("/ready", self.ready)
        self.app.router.add_post("/graphql", self.post_graphql)
        self.app.router.add_get("/graphql", self.get_graphql)
        self.ws_handler: Any = None  # set by the subscriptions package
        self.edge_auth: EdgeAuth | None = None  # set with --verify-tokens

    async def health(self, request: web.Request) -> web.Response:
        return _json(200, {"status": "ok"})

    async def ready(self, request: web.Request) -> web.Response:
        if self.gateway is None:
            return _json(503, {"status": "starting"})
        return _json(200, {"status": "ready"})

    async def post_graphql(self, request: web.Request) -> web.StreamResponse:
        gw = self.gateway
        if gw is None:
            return _error(503, "The router is not ready yet.", "NOT_READY")
        body = await request.read()
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return _error(400, "Request body is not valid JSON.")
        if not isinstance(payload, dict):
            return _error(400, "Request body must be a JSON object.")
        if self.edge_auth is not None:
            reason = await self.edge_auth.refusal(request.headers.get("authorization"))
            if reason is not None:
                return refused(reason)
        accept = request.headers.get("accept", "")
        if self.ws_handler is not None and ("multipart/mixed" in accept or "text/event-stream" in accept):
            return await self.ws_handler.http_stream(request, payload)
        status, out = await self._execute(
            gw, payload.get("query"), payload.get("variables"), payload.get("operationName"), request, True
        )
        return web.Response(status=status, body=out, content_type=JSON)

    async def get_graphql(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("upgrade", "").lower() == "websocket" and self.ws_handler is not None:
            return await self.ws_handler.websocket(request)
        accept = request.headers.get("accept", "")
        q = request.query
        if "text/html" in accept and "query" not in q:
            return web.Response(text=GRAPHIQL_HTML, content_type="text/html")
        gw = self.gateway
        if gw is None:
            return _error(503, "The router is not ready yet.", "NOT_READY")
        if self.edge_auth is not None:
            reason = await self.edge_auth.refusal(request.headers.get("authorization"))
            if reason is not None:
                return refused(reason)
        if self.ws_handler is not None and "text/event-stream" in accept:
            return await self.ws_handler.http_stream(request, dict(q))
        variables: Any = None
        if q.get("variables"):
            try:
                variables = orjson.loads(q["variables"])
            except orjson.JSONDecodeError:
                return _error(400, "`variables` is not valid JSON.")
        status, out = await self._execute(
            gw, q.get("query"), variables, q.get("operationName"), request, False
        )
        return web.Response(status=status, body=out, content_type=JSON)

    async def _execute(
        self,
        gw: Gateway,
        query: Any,
        variables: Any,
        op_name: Any,
        request: web.Request,
        allow_mutation: bool,
    ) -> tuple[int, bytes]:
        try:
            return await gw.execute(query, variables, op_name, ForwardedFor(request), allow_mutation)
        except Exception:
            # Never a traceback to the client; the log has it.
            log.exception("internal error while executing an operation")
            return 500, orjson.dumps(
                {
                    "errors": [
                        {"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
                    ]
                }
            )
