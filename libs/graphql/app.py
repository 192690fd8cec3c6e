"""Builds a subgraph's ASGI app: /graphql (HTTP + graphql-transport-ws), /health, /ready, /metrics, request
ids, a span per request (`libs.telemetry`).

Stores and clients are opened in the lifespan (never at import time) by the subgraph's own `resources`
context manager; its `ready()` says whether they are reachable.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, Protocol

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from libs.auth.tokens import Authenticator
from libs.config import Settings, get_settings
from libs.graphql.context import Context
from libs.graphql.router_credential import RouterCredentialMiddleware
from libs.graphql.sessions import SessionBoundWSHandler, SessionSockets
from libs.logging import configure_logging, new_request_id, request_id_var
from libs.telemetry.asgi import TelemetryMiddleware
from libs.telemetry.metrics import exposition
from libs.telemetry.tracing import configure_tracing, flush_tracing

log = logging.getLogger("manpasik.app")


class Resources(Protocol):
    authenticator: Authenticator

    async def ready(self) -> dict[str, str]:
        """Checks each store; raises when one is unreachable."""
        ...


class Workers(Protocol):
    def running(self) -> AbstractAsyncContextManager[Any]: ...


class RequestIdMiddleware:
    """Takes `x-request-id` from the router (or makes one) so every log line of a request carries it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rid = (
            next((v.decode() for k, v in scope["headers"] if k == b"x-request-id"), None) or new_request_id()
        )
        token = request_id_var.set(rid)
        try:
            await self.app(scope, receive, send)
        finally:
            request_id_var.reset(token)


def create_subgraph_app(
    name: str,
    schema: Any,
    resources: Callable[[Settings], AbstractAsyncContextManager[Resources]],
    *,
    settings: Settings | None = None,
    context_class: type[Context[Any]] = Context,
    workers: Callable[[Any], Workers] | None = None,
) -> FastAPI:
    """`workers`: builds the subgraph's event workers from its resources, to run inside this process (None
    when they run as a process of their own: `manpasik worker <name>`)."""
    settings = settings or get_settings()
    settings.require_router_secret()
    configure_logging(name, settings.log_level, settings.log_json)
    configure_tracing(name)  # only when OTEL_* name an endpoint
    state: dict[str, Resources] = {}
    sessions = SessionSockets()

    @asynccontextmanager
    async def lifespan(served: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            res = await stack.enter_async_context(resources(settings))
            # Token checks read the local revocation view; it also ends the sockets of revoked sessions.
            view = await res.authenticator.watch_revocations()
            view.listen(sessions.revoked)
            stack.push_async_callback(view.close)
            if workers is not None:
                await stack.enter_async_context(workers(res).running())
            state["resources"] = res
            served.state.resources = res  # for a subgraph's own routes besides /graphql
            log.info("%s subgraph started", name)
            yield
            state.pop("resources", None)
        flush_tracing()

    async def context_getter(request: Request = None, websocket: WebSocket = None) -> Context[Any]:  # type: ignore[assignment]
        res = state["resources"]
        conn = request if request is not None else websocket
        header = conn.headers.get("authorization") if conn is not None else None
        viewer = await res.authenticator.viewer_from_header(header)
        return context_class(viewer, settings, res)

    async def on_ws_connect_auth(ctx: Context[Any], payload: dict[str, Any]) -> None:
        if ctx.viewer.user_id is None and isinstance(payload.get("Authorization"), str):
            ctx.viewer = await ctx.resources.authenticator.viewer_from_header(payload["Authorization"])

    graphql = _SubgraphGraphQLRouter(
        schema,
        context_getter=context_getter,
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        on_connect=on_ws_connect_auth,
    )
    graphql.sessions = sessions
    app = FastAPI(title=f"ManPaSik {name} subgraph", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(graphql, prefix="/graphql")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": name}

    @app.get("/ready")
    async def ready() -> JSONResponse:
        res = state.get("resources")
        if res is None:
            return JSONResponse({"status": "starting", "service": name}, status_code=503)
        try:
            checks = await res.ready()
        except Exception as e:  # a store is down: say which, not how it failed internally
            return JSONResponse({"status": "unavailable", "service": name, "error": str(e)[:200]}, 503)
        return JSONResponse({"status": "ready", "service": name, "checks": checks})

    @app.get("/metrics")
    async def metrics() -> Response:
        body, content_type = await exposition()
        return Response(body, media_type=content_type)

    app.add_middleware(TelemetryMiddleware, service=name)  # inside: the request id is set already
    app.add_middleware(RequestIdMiddleware)
    # Outermost: router-set headers (X-Forwarded-For, X-Request-Id) are dropped unless the router signed.
    app.add_middleware(RouterCredentialMiddleware, secret=settings.router_subgraph_secret)
    return app


class _SubgraphGraphQLRouter(GraphQLRouter[Any, None]):
    """Lets graphql-transport-ws clients authenticate in `connection_init` ({"Authorization": "Bearer …"});
    its sockets end when their session is revoked (`libs.graphql.sessions`)."""

    graphql_transport_ws_handler_class = SessionBoundWSHandler
    sessions: SessionSockets | None = None

    def __init__(self, *args: Any, on_connect: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_connect_auth = on_connect

    async def on_ws_connect(self, context: Any) -> Any:
        payload = getattr(context, "connection_params", None) or {}
        await self._on_connect_auth(context, payload)
        return None
