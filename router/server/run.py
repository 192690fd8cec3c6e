"""Process lifecycle: start listening, load the supergraph, report ready, stop cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Callable

from aiohttp import web

from router.edge import Edge, EdgeSettings
from router.edge.http import install as install_edge_headers
from router.executor import AiohttpTransport, Transport
from router.executor.resilience import FetchPolicy, ResilienceSettings
from router.gateway import Gateway
from router.gateway.credential import SubgraphCredential
from router.server.app import RouterApp
from router.server.edge_auth import EdgeAuth, TokenVerifier
from router.server.settings import HttpSettings
from router.subscriptions import SubscriptionHandler
from router.subscriptions.sessions import OpenStreams
from router.subscriptions.settings import StreamSettings
from router.supergraph import load_supergraph
from router.telemetry import Telemetry
from router.telemetry.metrics import watch_breakers

log = logging.getLogger("router")


async def serve(
    load_sdl: Callable[[], Awaitable[str]],
    host: str = "127.0.0.1",
    port: int = 8080,
    fetch_timeout: float = 30.0,
    dedup: bool = True,
    ready_file: object = None,
    verify_tokens: TokenVerifier | None = None,
    http_settings: HttpSettings | None = None,
    stream_settings: StreamSettings | None = None,
    resilience: ResilienceSettings | None = None,
    drain_timeout: float = 10.0,
    subgraph_secret: str | None = None,
    edge_settings: EdgeSettings | None = None,
) -> int:
    """`verify_tokens`: refuse requests whose bearer token it rejects, before any subgraph is asked (and end
    streams whose session it reports revoked); `subgraph_secret`: sign every subgraph request with it.
    On SIGTERM/SIGINT: stop listening, end subscriptions cleanly, give in-flight requests `drain_timeout`."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    router_app = RouterApp(http_settings)
    http = AiohttpTransport(timeout=fetch_timeout, dedup=dedup, policy=FetchPolicy(resilience))
    router_app.breakers = breakers = http.breakers
    transport: Transport = http
    telemetry = Telemetry.from_env()
    if telemetry is not None:
        router_app.telemetry = telemetry
        watch_breakers(lambda: {b.name: b.state.value for b in breakers.statuses()})
        transport = telemetry.instrument(transport)
    router_app.ws_handler = SubscriptionHandler(router_app, stream_settings)
    if verify_tokens is not None:
        router_app.edge_auth = EdgeAuth(verify_tokens)
        if verify_tokens.grants is not None and verify_tokens.watch is not None:
            streams = OpenStreams(verify_tokens.grants)
            router_app.ws_handler.sessions = streams
            await verify_tokens.watch(streams.revoked)
    guard = router_app.edge = Edge(edge_settings or EdgeSettings())
    install_edge_headers(router_app.app, guard.settings)
    if router_app.edge_auth is not None:
        guard.tokens_verified = True
        if verify_tokens is not None and verify_tokens.principal is not None:
            guard.principal = router_app.edge_auth.principal
    runner = web.AppRunner(
        router_app.app, access_log=None, handle_signals=False, shutdown_timeout=drain_timeout
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True, backlog=1024)
    try:
        await site.start()
    except OSError as exc:
        print(f"router: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        await runner.cleanup()
        return 1
    bound = port
    server = getattr(site, "_server", None)
    if server is not None and server.sockets:
        bound = server.sockets[0].getsockname()[1]
    code = 0
    try:
        load = asyncio.ensure_future(load_sdl())
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({load, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if not load.done():
            load.cancel()
            return 0
        stopper.cancel()
        try:
            sdl = load.result()
            supergraph = load_supergraph(sdl)
        except Exception as exc:
            print(f"router: {exc}", file=sys.stderr)
            code = 1
            return code
        edge = router_app.edge_auth
        principal = edge.principal if edge is not None and edge.verifier.principal is not None else None
        credential = SubgraphCredential(subgraph_secret) if subgraph_secret else None
        router_app.gateway = Gateway(supergraph, transport, principal=principal, credential=credential)
        # Responses allocate many short-lived dicts: move startup objects out of the collector's view and
        # collect the young generation less often, which cuts GC pauses from the latency tail.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        print(f"router ready on http://{host}:{bound}/graphql", flush=True)
        await stop.wait()
        return code
    finally:
        router_app.draining = True  # /ready: 503, so a balancer stops sending here
        for s in list(runner.sites):
            await s.stop()  # no new connections: they are refused and go elsewhere
        if router_app.ws_handler is not None:
            await router_app.ws_handler.shutdown()
        await runner.cleanup()  # waits up to drain_timeout for in-flight requests, then cuts them
        if router_app.ws_handler is not None:
            await router_app.ws_handler.close()
        await transport.close()
        if router_app.edge_auth is not None:
            await router_app.edge_auth.aclose()
        await guard.aclose()
        if telemetry is not None:
            await asyncio.to_thread(telemetry.shutdown)  # flushes queued spans
