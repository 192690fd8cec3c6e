"""Command line: `python -m router [serve|compose|explain] ...` (also `manpasik router|compose`).

`serve --verify-tokens` needs a token verifier handed in by whoever embeds the router (`main(argv,
verifier=factory)`; `manpasik router` hands in the platform's): the router itself knows no keys.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from router import cli_resilience
from router.compose import CompositionError
from router.edge.options import add_edge_args, edge_settings
from router.server.settings import DEFAULT_CSRF_HEADERS
from router.sources import (
    compose_from_subgraphs,
    fetch_subgraph_sdls,
    load_supergraph_source,
    parse_subgraph_arg,
)

if TYPE_CHECKING:
    from router.server import TokenVerifier

COMMANDS = ("serve", "compose", "explain")
NO_VERIFIER = (
    "router: --verify-tokens needs a token verifier, and this router was started without one; start it "
    "through `manpasik router serve --verify-tokens ...` (or embed it: router.cli.main(argv, verifier=f))"
)


def _subgraph_args(values: list[str] | None) -> list[tuple[str, str, str | None]]:
    items = list(values or [])
    if not items and os.environ.get("ROUTER_SUBGRAPHS"):
        items = [s for s in os.environ["ROUTER_SUBGRAPHS"].split(",") if s.strip()]
    return [parse_subgraph_arg(s) for s in items]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="router", description="ManPaSik Federation v2 router")
    sub = p.add_subparsers(dest="command")

    s = sub.add_parser("serve", help="serve the supergraph over HTTP (default)")
    s.add_argument("--subgraph", action="append", metavar="NAME=URL", help="subgraph to compose (repeatable)")
    s.add_argument("--supergraph", metavar="FILE_OR_URL", help="a Federation v2 supergraph SDL")
    s.add_argument("--host", default=os.environ.get("ROUTER_HOST", "127.0.0.1"))
    s.add_argument("--port", type=int, default=int(os.environ.get("ROUTER_PORT", "8080")))
    s.add_argument("--wait", type=float, default=60.0, help="seconds to wait for subgraphs to answer")
    s.add_argument(
        "--timeout",
        type=float,
        default=float(os.environ.get("ROUTER_FETCH_TIMEOUT", "30")),
        help="per-fetch timeout in seconds",
    )
    s.add_argument(
        "--no-dedup", action="store_true", help="do not share identical in-flight subgraph queries"
    )
    s.add_argument(
        "--verify-tokens",
        action="store_true",
        default=os.environ.get("ROUTER_VERIFY_TOKENS", "").lower() in ("1", "true", "yes"),
        help="refuse forged, expired and revoked bearer tokens at the edge (needs `manpasik router`)",
    )

    _transport_args(s)
    cli_resilience.add_arguments(s)
    add_edge_args(s)

    c = sub.add_parser("compose", help="compose subgraphs into a supergraph SDL")
    c.add_argument("--subgraph", action="append", metavar="NAME=URL[@FILE]", help="subgraph (repeatable)")
    c.add_argument("--config", help="file with one NAME=URL[@FILE] per line")
    c.add_argument("--output", "-o", help="write here instead of stdout")
    c.add_argument("--wait", type=float, default=60.0)

    e = sub.add_parser("explain", help="print the query plan of an operation")
    e.add_argument("query_file")
    e.add_argument("--supergraph", help="supergraph SDL file or URL")
    e.add_argument("--subgraph", action="append", metavar="NAME=URL[@FILE]")
    e.add_argument("--operation-name")
    e.add_argument("--variables", help="JSON object (drives @skip/@include)")
    e.add_argument("--wait", type=float, default=10.0)
    return p


def _env_off(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("0", "false", "no", "off")


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _transport_args(s: argparse.ArgumentParser) -> None:
    s.add_argument(
        "--heartbeat-interval",
        type=float,
        default=_env_float("ROUTER_HEARTBEAT_INTERVAL", 5.0),
        help="seconds between heartbeats of multipart and SSE streams (one is also sent at once)",
    )
    s.add_argument(
        "--ws-ping-interval",
        type=float,
        default=_env_float("ROUTER_WS_PING_INTERVAL", 15.0),
        help="seconds between the router's pings on WebSocket connections",
    )
    s.add_argument(
        "--ws-pong-timeout",
        type=float,
        default=_env_float("ROUTER_WS_PONG_TIMEOUT", 10.0),
        help="seconds a WebSocket client has to answer a ping before its socket is closed",
    )
    s.add_argument(
        "--csrf-required-headers",
        default=os.environ.get("ROUTER_CSRF_REQUIRED_HEADERS", ",".join(DEFAULT_CSRF_HEADERS)),
        help="GET operations without a non-simple Content-Type need one of these headers (comma-separated)",
    )
    s.add_argument(
        "--no-csrf-prevention",
        action="store_true",
        default=os.environ.get("ROUTER_CSRF_PREVENTION", "").lower() in ("0", "false", "no", "off"),
        help="unsafe: run GET operations a browser could send cross-site without a preflight",
    )
    s.add_argument(
        "--graphiql",
        choices=("on", "off"),
        default="off" if _env_off("ROUTER_GRAPHIQL") else "on",
        help="serve the GraphiQL explorer (assets shipped with the router) on a browser's GET of /graphql",
    )


def main(argv: list[str] | None = None, verifier: Callable[[], TokenVerifier] | None = None) -> int:
    """`verifier`: builds how `serve --verify-tokens` checks bearer tokens (called once, only with that flag,
    which fails without it)."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    if not args_in or (args_in[0].startswith("-") and args_in[0] not in ("-h", "--help")):
        args_in = ["serve", *args_in]
    if args_in[0] == "router":  # `manpasik router ...` passing its own name through
        args_in = args_in[1:] or ["serve"]
        if args_in[0].startswith("-"):
            args_in = ["serve", *args_in]
    args = _parser().parse_args(args_in)
    try:
        if args.command == "compose":
            return _compose(args)
        if args.command == "explain":
            return _explain(args)
        return _serve(args, verifier)
    except CompositionError as exc:
        print(f"composition failed:\n{exc}", file=sys.stderr)
        return 1
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"router: {exc}", file=sys.stderr)
        return 1


def _serve(args: argparse.Namespace, verifier: Callable[[], TokenVerifier] | None) -> int:
    from router.server import serve
    from router.server.settings import HttpSettings
    from router.subscriptions.settings import StreamSettings
    from router.telemetry.logs import configure_logging

    # The platform's names (LOG_LEVEL, LOG_JSON), so one setting shapes every process's log lines.
    json_logs = os.environ.get("LOG_JSON", "true").lower() not in ("0", "false", "no", "off")
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"), json_logs)

    if args.verify_tokens and verifier is None:
        print(NO_VERIFIER, file=sys.stderr)
        return 2

    subgraphs = _subgraph_args(args.subgraph)
    source = args.supergraph or os.environ.get("ROUTER_SUPERGRAPH")
    if not source and not subgraphs:
        print(
            "router: give --supergraph FILE_OR_URL or --subgraph NAME=URL (or ROUTER_SUBGRAPHS)",
            file=sys.stderr,
        )
        return 2

    async def load() -> str:
        if source:
            return await load_supergraph_source(source)
        return await compose_from_subgraphs(subgraphs, args.wait)

    required = tuple(h.strip().lower() for h in args.csrf_required_headers.split(",") if h.strip())
    main_coro = serve(
        load,
        args.host,
        args.port,
        fetch_timeout=args.timeout,
        dedup=not args.no_dedup,
        verify_tokens=verifier() if verifier is not None and args.verify_tokens else None,
        http_settings=HttpSettings(
            csrf_required_headers=None if args.no_csrf_prevention else required,
            max_body_bytes=args.max_body_bytes,
            graphiql=args.graphiql == "on",
        ),
        stream_settings=StreamSettings(
            heartbeat_seconds=args.heartbeat_interval,
            ws_ping_seconds=args.ws_ping_interval,
            ws_pong_timeout_seconds=args.ws_pong_timeout,
        ),
        resilience=cli_resilience.settings_from(args),
        drain_timeout=args.drain_timeout,
        # From the environment only (an argument would show in `ps`): signs every subgraph request.
        subgraph_secret=os.environ.get("ROUTER_SUBGRAPH_SECRET") or None,
        edge_settings=edge_settings(args),
    )
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return asyncio.run(main_coro)
    return uvloop.run(main_coro)


def _compose(args: argparse.Namespace) -> int:
    from router.compose import compose

    items = list(args.subgraph or [])
    if args.config:
        items += [
            ln.strip()
            for ln in Path(args.config).read_text().splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")
        ]
    subgraphs = _subgraph_args(items)
    if not subgraphs:
        print("router compose: give --subgraph NAME=URL[@FILE] or --config FILE", file=sys.stderr)
        return 2
    sdl = compose(asyncio.run(fetch_subgraph_sdls(subgraphs, args.wait)))
    if args.output:
        Path(args.output).write_text(sdl)
    else:
        sys.stdout.write(sdl)
    return 0


def _explain(args: argparse.Namespace) -> int:
    import orjson

    from router.gateway import OperationCache, RequestError
    from router.planner import explain_plan
    from router.supergraph import load_supergraph

    if args.supergraph:
        sdl = asyncio.run(load_supergraph_source(args.supergraph))
    else:
        subgraphs = _subgraph_args(args.subgraph)
        if not subgraphs:
            print("router explain: give --supergraph or --subgraph", file=sys.stderr)
            return 2
        sdl = asyncio.run(compose_from_subgraphs(subgraphs, args.wait))
    ops = OperationCache(load_supergraph(sdl))
    variables = orjson.loads(args.variables) if args.variables else {}
    try:
        prep = ops.prepare(Path(args.query_file).read_text(), args.operation_name)
        print(explain_plan(ops.plan(prep, variables)))
    except RequestError as exc:
        for e in exc.errors:
            print(e["message"], file=sys.stderr)
        return 1
    return 0
