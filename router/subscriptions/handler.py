"""The router's streaming transports: WebSocket (both subprotocols), multipart and graphql-sse."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from router.gateway import Gateway
from router.subscriptions.http_streams import SingleConnections, stream_multipart, stream_sse
from router.subscriptions.results import open_results
from router.subscriptions.sessions import OpenStreams
from router.subscriptions.settings import StreamSettings
from router.subscriptions.shutdown import until_stopped
from router.subscriptions.websocket import (
    TRANSPORT_WS,
    Connection,
    LegacyWsConnection,
    TransportWsConnection,
    chosen_protocol,
    handshake_refusal,
)


class SubscriptionHandler:
    def __init__(self, router_app: Any, settings: StreamSettings | None = None) -> None:
        self.router_app = router_app
        self.settings = settings or StreamSettings()
        self._session: aiohttp.ClientSession | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self.single = SingleConnections()
        self.sessions: OpenStreams | None = None  # with a token check that reports revocations
        self.stopping = asyncio.Event()  # set on shutdown: HTTP streams end with SHUTTING_DOWN

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def shutdown(self) -> None:
        """Ends every subscription cleanly: WebSockets close with 1001 (going away; graphql-ws clients
        reconnect and subscribe again: a `complete` would end the subscription for good), HTTP streams send
        SHUTTING_DOWN and their normal end."""
        self.stopping.set()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"router shutting down")
        await self.single.close()

    async def close(self) -> None:
        await self.shutdown()
        if self._session is not None:
            await self._session.close()

    @property
    def gateway(self) -> Gateway | None:
        gw: Gateway | None = self.router_app.gateway
        return gw

    async def results(
        self, payload: dict[str, Any], headers: Any, init: dict[str, Any] | None, allow_mutation: bool = True
    ) -> AsyncIterator[dict[str, Any]]:
        """Raises RequestError when the operation cannot run; else its results (which end when the session
        of the token they were opened with ends)."""
        if self.sessions is None:
            return await open_results(self.gateway, self.session(), payload, headers, init, allow_mutation)
        names = await self.sessions.check(headers.get("authorization"))
        results = await open_results(self.gateway, self.session(), payload, headers, init, allow_mutation)
        return self.sessions.bind(names, results)

    # -- WebSocket -------------------------------------------------------------------------------------
    async def websocket(self, request: web.Request) -> web.StreamResponse:
        protocol = chosen_protocol(request)
        if protocol is None:
            return handshake_refusal()
        ws = web.WebSocketResponse(protocols=(protocol,), autoping=False)
        await ws.prepare(request)
        kind = TransportWsConnection if protocol == TRANSPORT_WS else LegacyWsConnection
        conn: Connection = kind(ws, request, self.settings, self._admitted(request), self._refusal)
        self._sockets.add(ws)
        try:
            await conn.run()
        finally:
            self._sockets.discard(ws)
            if not ws.closed:
                await ws.close()
        return ws

    def _admitted(self, request: web.Request) -> Any:
        """`results` after the edge's checks (router/edge) of each operation sent on this socket."""
        forwarded_for = request.headers.get("x-forwarded-for")
        remote = request.remote
        xff = f"{forwarded_for}, {remote}" if forwarded_for and remote else (remote or forwarded_for)

        async def results(
            payload: dict[str, Any], headers: Any, init: dict[str, Any] | None
        ) -> AsyncIterator[dict[str, Any]]:
            edge, gw = getattr(self.router_app, "edge", None), self.gateway
            if edge is not None and gw is not None:
                await edge.admit(gw, payload, xff, headers.get("authorization"))
            return await self.results(payload, headers, init)

        return results

    async def _refusal(self, headers: dict[str, str]) -> str | None:
        edge_auth = getattr(self.router_app, "edge_auth", None)
        if edge_auth is None:
            return None
        reason: str | None = await edge_auth.refusal(headers.get("authorization"))
        return reason

    # -- HTTP streams ------------------------------------------------------------------------------------
    async def multipart(
        self, request: web.Request, results: AsyncIterator[dict[str, Any]]
    ) -> web.StreamResponse:
        results = until_stopped(results, self.stopping)
        return await stream_multipart(request, results, self.settings.heartbeat_seconds)

    async def sse(self, request: web.Request, results: AsyncIterator[dict[str, Any]]) -> web.StreamResponse:
        results = until_stopped(results, self.stopping)
        return await stream_sse(request, results, self.settings.heartbeat_seconds)

    async def sse_connect(self, request: web.Request, token: str) -> web.StreamResponse:
        return await self.single.stream(request, token, self.settings.heartbeat_seconds)
