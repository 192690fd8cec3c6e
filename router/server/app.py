"""HTTP server (aiohttp.web): /graphql (GraphQL over HTTP, its streams, WebSocket, GraphiQL), /health, /ready.

The gateway is attached once the supergraph is loaded, so /health answers while the router is
still waiting for subgraphs and /ready turns 200 only afterwards. Every refusal is a GraphQL-shaped JSON
answer with `extensions.code`, never plain text.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from aiohttp import web

from router.defer import uses_defer
from router.edge import Edge
from router.gateway import Gateway, RequestError
from router.server import graphiql
from router.server.defer_stream import serve_multipart
from router.server.edge_auth import EdgeAuth, ForwardedFor, refused
from router.server.http_protocol import (
    JSON,
    Accepts,
    BadRequest,
    check_params,
    csrf_refusal,
    error_response,
    is_json_content_type,
    negotiate,
    params_from_query_string,
    request_error_status,
)
from router.server.settings import HttpSettings
from router.telemetry import Telemetry

log = logging.getLogger("router.server")

TOKEN_HEADER = "x-graphql-event-stream-token"  # graphql-sse's single connection mode
INTERNAL = {"errors": [{"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}


def _json(status: int, payload: Any) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(payload), content_type=JSON)


def _error(status: int, message: str, code: str = "BAD_REQUEST") -> web.Response:
    return error_response(status, message, code)


class RouterApp:
    def __init__(self, settings: HttpSettings | None = None) -> None:
        self.settings = settings or HttpSettings()
        self.gateway: Gateway | None = None
        self.app = web.Application(client_max_size=self.settings.max_body_bytes)
        self.app.router.add_get("/health", self.health)
        self.app.router.add_get("/ready", self.ready)
        self.app.router.add_get("/metrics", self.metrics)
        self.app.router.add_post("/graphql", self.post_graphql)
        self.app.router.add_get("/graphql", self.get_graphql)
        self.app.router.add_put("/graphql", self.put_graphql)
        self.app.router.add_delete("/graphql", self.delete_graphql)
        self.app.router.add_route("*", "/graphql", self.other_method)
        if self.settings.graphiql:
            graphiql.add_routes(self.app)
        self.ws_handler: Any = None  # set by the subscriptions package
        self.edge_auth: EdgeAuth | None = None  # set with --verify-tokens
        self.breakers: Any = None  # resilience.Breakers of the subgraphs; read-only (`statuses()`)
        self.draining = False  # shutting down: /ready answers 503
        self.telemetry: Telemetry | None = None  # metrics and traces, from the environment
        self.edge: Edge | None = None  # limits, safelist, persisted queries (router/edge)

    async def health(self, request: web.Request) -> web.Response:
        return _json(200, {"status": "ok"})

    async def ready(self, request: web.Request) -> web.Response:
        if self.draining:
            return _json(503, {"status": "draining"})
        if self.gateway is None:
            return _json(503, {"status": "starting"})
        body: dict[str, Any] = {"status": "ready"}
        if self.breakers is not None:  # ready with an open breaker too: the other subgraphs still answer
            body["breakers"] = {b.name: b.state.value for b in self.breakers.statuses()}
        return _json(200, body)

    async def metrics(self, request: web.Request) -> web.Response:
        if self.telemetry is None:
            return web.Response(status=404, text="telemetry is off\n")
        return await self.telemetry.serve_metrics(request)

    # -- POST ----------------------------------------------------------------------------------------------
    async def post_graphql(self, request: web.Request) -> web.StreamResponse:
        gw = self.gateway
        if gw is None:
            return _error(503, "The router is not ready yet.", "NOT_READY")
        headers = request.headers
        accepts = negotiate(headers.get("accept"))
        media = accepts.single or JSON
        if not is_json_content_type(headers.get("content-type")):
            return error_response(
                415, "POST requests must have `Content-Type: application/json`.", "BAD_REQUEST", media
            )
        if accepts.single is None and not accepts.streams:
            return _not_acceptable()
        try:
            params = await self._read_params(request)
        except BadRequest as exc:
            return error_response(exc.status, str(exc), exc.code, media)
        if self.edge_auth is not None:
            reason = await self.edge_auth.refusal(headers.get("authorization"))
            if reason is not None:
                return refused(reason)
        refusal = await self._admit(gw, params, request, media)
        if refusal is not None:
            return refusal
        if uses_defer(params["query"]) and not headers.get(TOKEN_HEADER):
            return await serve_multipart(request, gw, params, accepts, ForwardedFor(request), True)
        if self.ws_handler is not None:
            token = headers.get(TOKEN_HEADER)
            if token:
                return await self._onto_event_stream(request, token, params)
            if accepts.streams:
                return await self._stream(request, gw, params, accepts, True)
        return await self._execute(gw, params, request, media, True)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        limit = self.settings.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise BadRequest(f"The request body is larger than {limit} bytes.", 413, "PAYLOAD_TOO_LARGE")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise BadRequest(
                f"The request body is larger than {limit} bytes.", 413, "PAYLOAD_TOO_LARGE"
            ) from None
        if not body:
            raise BadRequest("The request body is missing.")
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise BadRequest("The request body is not valid JSON.") from None
        return check_params(payload)

    # -- GET -----------------------------------------------------------------------------------------------
    async def get_graphql(self, request: web.Request) -> web.StreamResponse:
        headers = request.headers
        if headers.get("upgrade", "").lower() == "websocket" and self.ws_handler is not None:
            return await self.ws_handler.websocket(request)
        accept = headers.get("accept", "")
        q = request.query
        if "query" not in q:
            if "text/html" in accept and self.settings.graphiql:
                return graphiql.page()
            token = headers.get(TOKEN_HEADER) or q.get("token")
            if token and self.ws_handler is not None and "text/event-stream" in accept:
                return await self.ws_handler.sse_connect(request, token)
        gw = self.gateway
        if gw is None:
            return _error(503, "The router is not ready yet.", "NOT_READY")
        accepts = negotiate(headers.get("accept"))
        media = accepts.single or JSON
        if accepts.single is None and not accepts.event_stream:
            return _not_acceptable()
        try:
            params = params_from_query_string(q)
        except BadRequest as exc:
            return error_response(exc.status, str(exc), exc.code, media)
        required = self.settings.csrf_required_headers
        if required is not None:
            blocked = csrf_refusal(headers, required)
            if blocked is not None:
                return error_response(400, blocked, "BAD_REQUEST", media)
        if self.edge_auth is not None:
            reason = await self.edge_auth.refusal(headers.get("authorization"))
            if reason is not None:
                return refused(reason)
        refusal = await self._admit(gw, params, request, media)
        if refusal is not None:
            return refusal
        if uses_defer(params["query"]):
            return await serve_multipart(request, gw, params, accepts, ForwardedFor(request), False)
        if accepts.event_stream and self.ws_handler is not None:
            return await self._stream(request, gw, params, accepts, False)
        return await self._execute(gw, params, request, media, False)

    # -- graphql-sse single connection: PUT reserves a stream, DELETE stops one of its operations ------------
    async def put_graphql(self, request: web.Request) -> web.StreamResponse:
        if self.ws_handler is None:
            return await self.other_method(request)
        if self.edge_auth is not None:
            reason = await self.edge_auth.refusal(request.headers.get("authorization"))
            if reason is not None:
                return refused(reason)
        return self.ws_handler.single.reserve(request)

    async def delete_graphql(self, request: web.Request) -> web.StreamResponse:
        token = request.headers.get(TOKEN_HEADER) or request.query.get("token")
        if self.ws_handler is None or not token:
            return _error(404, "Stream not found.", "NOT_FOUND")
        return self.ws_handler.single.stop(request, token)

    async def other_method(self, request: web.Request) -> web.StreamResponse:
        return error_response(
            405,
            f"{request.method} is not supported on /graphql; use POST (or GET for queries).",
            "METHOD_NOT_ALLOWED",
            headers={"Allow": "GET, POST, PUT, DELETE"},
        )

    async def _admit(
        self, gw: Gateway, params: dict[str, Any], request: web.Request, media: str
    ) -> web.Response | None:
        """The edge's refusal of this request (router/edge), or None: it may run."""
        if self.edge is None:
            return None
        headers = request.headers
        try:
            xff = ForwardedFor(request).get("x-forwarded-for")
            await self.edge.admit(gw, params, xff, headers.get("authorization"))
        except RequestError as exc:
            if self.telemetry is not None:  # counted like any request that ran no operation
                self.telemetry.request(ForwardedFor(request)).finish(None, exc.errors)
            return _request_error(exc, media)
        return None

    # -- answers -------------------------------------------------------------------------------------------
    async def _execute(
        self, gw: Gateway, params: dict[str, Any], request: web.Request, media: str, allow_mutation: bool
    ) -> web.Response:
        headers = ForwardedFor(request)
        seen = self.telemetry.request(headers) if self.telemetry is not None else None
        try:
            result = await gw.execute_dict(
                params["query"], params.get("variables"), params.get("operationName"), headers, allow_mutation
            )
        except RequestError as exc:
            if seen is not None:
                seen.finish(None, exc.errors)
            return _request_error(exc, media)
        except Exception as exc:
            # Never a traceback to the client; the log has it.
            log.exception("internal error while executing an operation")
            if seen is not None:
                seen.crashed(exc)
            return web.Response(status=500, body=orjson.dumps(INTERNAL), content_type=media)
        if seen is not None:  # the operation is in the cache now: looking it up again costs a hash
            seen.finish(gw.operations.prepare(params["query"], params.get("operationName")),
                        result.get("errors", ()))
        return web.Response(status=200, body=orjson.dumps(result), content_type=media)

    async def _stream(
        self,
        request: web.Request,
        gw: Gateway,
        params: dict[str, Any],
        accepts: Accepts,
        allow_mutation: bool,
    ) -> web.StreamResponse:
        """Subscriptions over multipart or SSE; other operations too when the client reads only SSE."""
        media = accepts.single or JSON
        try:
            prep = gw.operations.prepare(params["query"], params.get("operationName"))
        except RequestError as exc:
            return _request_error(exc, media)
        subscription = prep.operation_type == "subscription"
        if not subscription and accepts.single is not None:
            return await self._execute(gw, params, request, media, allow_mutation)
        multipart = accepts.multipart_subscription if subscription else False
        if not multipart and not accepts.event_stream:
            return _not_acceptable()
        try:
            results = await self.ws_handler.results(params, ForwardedFor(request), None, allow_mutation)
        except RequestError as exc:
            return _request_error(exc, JSON, stream=True)
        if multipart:
            return await self.ws_handler.multipart(request, results)
        return await self.ws_handler.sse(request, results)

    async def _onto_event_stream(
        self, request: web.Request, token: str, params: dict[str, Any]
    ) -> web.Response:
        """graphql-sse single connection mode: the operation's results go to the reserved stream (202)."""
        single = self.ws_handler.single
        refusal: web.Response | None = single.refusal(request, token, params)
        if refusal is not None:
            return refusal
        try:
            results = await self.ws_handler.results(params, ForwardedFor(request), None)
        except RequestError as exc:
            return _request_error(exc, JSON, stream=True)
        started: web.Response = single.start(request, token, params, results)
        return started


def _request_error(exc: RequestError, media: str, stream: bool = False) -> web.Response:
    status = exc.status if stream else request_error_status(media, exc.status, exc.errors)
    headers = {"Allow": "POST"} if status == 405 else getattr(exc, "headers", None)
    return web.Response(
        status=status, body=orjson.dumps({"errors": exc.errors}), content_type=media, headers=headers
    )


def _not_acceptable() -> web.Response:
    return error_response(
        406,
        "Accept must allow application/graphql-response+json or application/json "
        "(or multipart/mixed / text/event-stream for subscriptions).",
        "NOT_ACCEPTABLE",
    )
