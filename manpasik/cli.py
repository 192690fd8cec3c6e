"""The `manpasik` command: the dev stack, one subgraph alone, a subgraph's workers alone, the router, schema
snapshots, migrations. Which subgraphs exist, and where they listen, comes from `manpasik.registry`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from contextlib import AsyncExitStack
from pathlib import Path

from libs.config import Settings, SubgraphSettings
from manpasik import registry


def _run_subgraph(args: argparse.Namespace) -> int:
    import uvicorn

    row = registry.subgraph(args.name)
    uvicorn.run(
        f"{row.package}.app:create_app",
        factory=True,
        host=args.host,
        port=args.port or row.port,
        log_level="warning",
        lifespan="on",
        ws="websockets-sansio",
        timeout_graceful_shutdown=5,
        # The peer address stays the socket's: X-Forwarded-For counts only when the router signed the
        # request (libs.graphql.router_credential), not whenever the peer is 127.0.0.1 (uvicorn's default).
        proxy_headers=False,
    )
    return 0


async def run_worker(
    name: str, settings: Settings, stop: asyncio.Event, own: SubgraphSettings | None = None
) -> None:
    """A subgraph's workers on their own stores and clients, until `stop` is set."""
    row = registry.subgraph(name)
    workers = row.workers()
    if workers is None:
        raise ValueError(f"{name} has no workers")
    own = own or row.own()
    async with row.open_resources(settings, own) as res:
        await workers(res).run(stop)


def _run_worker(args: argparse.Namespace) -> int:
    from libs.config import get_settings
    from libs.logging import configure_logging
    from libs.telemetry.server import metrics_server
    from libs.telemetry.tracing import configure_tracing, flush_tracing

    settings = get_settings()
    configure_logging(f"{args.name}-worker", settings.log_level, settings.log_json)
    configure_tracing(f"{args.name}-worker")
    log = logging.getLogger("manpasik.worker")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):  # finish the batch in hand, then leave
            loop.add_signal_handler(sig, stop.set)
        async with AsyncExitStack() as stack:
            if settings.worker_metrics_port is not None:
                port = await stack.enter_async_context(
                    metrics_server(settings.worker_metrics_host, settings.worker_metrics_port))
                log.warning("%s workers: metrics on http://%s:%d/metrics", args.name,
                            settings.worker_metrics_host, port)
            log.warning("%s workers started (pid %d)", args.name, os.getpid())
            await run_worker(args.name, settings, stop)
            log.warning("%s workers stopped", args.name)
        flush_tracing()

    asyncio.run(main())
    return 0


def _run_dev(args: argparse.Namespace) -> int:
    from manpasik.devstack.supervisor import run_dev_stack

    return run_dev_stack(data_dir=args.data_dir, port_offset=args.port_offset, with_router=not args.no_router)


def _run_schema(args: argparse.Namespace) -> int:
    from manpasik.schema_snapshots import check_snapshots, diff_against, write_snapshots

    if args.action == "diff":
        return diff_against(args.against)
    return check_snapshots() if args.check else write_snapshots(allow_breaking=args.allow_breaking)


def _run_migrate(args: argparse.Namespace) -> int:
    from libs.config import get_settings
    from manpasik.migrate import migrate

    for line in asyncio.run(migrate(get_settings(), args.names)):
        print(line)
    return 0


def _run_restore(args: argparse.Namespace) -> int:
    from libs.backup import RestoreRefused
    from libs.config import get_settings
    from manpasik.restore import restore

    try:
        counts = asyncio.run(restore(get_settings(), Path(args.file), checksum=args.checksum))
    except RestoreRefused as e:
        print(f"restore refused: {e}", file=sys.stderr)
        return 1
    for name, n in sorted(counts.items()):
        print(f"{name}: {n}")
    return 0


def _run_router(argv: list[str]) -> int:
    """The router's own CLI (`router.cli`), handed the platform's token check for `--verify-tokens`."""
    from manpasik.edge import platform_token_verifier
    from manpasik.router_env import fill_router_env
    from router.cli import main as router_main

    if argv[:1] != ["compose"]:
        fill_router_env()
    # GraphiQL is for people working on the API: off in prod unless ROUTER_GRAPHIQL=on asks for it.
    if argv[:1] != ["compose"] and "ROUTER_GRAPHIQL" not in os.environ and _is_prod():
        os.environ["ROUTER_GRAPHIQL"] = "off"
    refusal = _router_secret_refusal(argv)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    return router_main(argv, verifier=platform_token_verifier)


def _is_prod() -> bool:
    from libs.config import get_settings

    try:
        return get_settings().env == "prod"
    except ValueError:  # only prod refuses settings (the router alone needs none of them): prod it is
        return True


def _router_secret_refusal(argv: list[str]) -> str | None:
    """A prod router must sign its subgraph requests: unsigned, every caller would count as the router's
    own address in the subgraphs' per-address limits (libs.graphql.router_credential)."""
    from libs.config import MIN_SECRET_LENGTH

    if argv[:1] in (["compose"], ["explain"]):
        return None
    if len(os.environ.get("ROUTER_SUBGRAPH_SECRET", "")) >= MIN_SECRET_LENGTH or not _is_prod():
        return None
    return (f"router: refusing to start in prod: ROUTER_SUBGRAPH_SECRET must be a random secret of at least "
            f"{MIN_SECRET_LENGTH} characters, the same the subgraphs have")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The router owns its own argument parsing; pass its arguments through untouched.
    if argv[:1] in (["router"], ["compose"]):
        return _run_router(argv[1:] if argv[0] == "router" else argv)

    parser = argparse.ArgumentParser(prog="manpasik", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="run the whole stack on the embedded default (what `make run` does)")
    dev.add_argument(
        "--data-dir", default="data", help="where SQLite files and the Mongo wire server keep data"
    )
    dev.add_argument("--port-offset", type=int, default=0, help="added to every port of ARCHITECTURE.md")
    dev.add_argument("--no-router", action="store_true")
    dev.set_defaults(func=_run_dev)

    sg = sub.add_parser("subgraph", help="run one subgraph alone (stores from the environment)")
    sg.add_argument("name", choices=registry.names())
    sg.add_argument("--host", default="127.0.0.1")
    sg.add_argument("--port", type=int, default=None)
    sg.set_defaults(func=_run_subgraph)

    with_workers = registry.with_workers()
    wk = sub.add_parser(
        "worker",
        help="run one subgraph's event workers alone (scale them apart from the API: start the subgraph with "
        + " / ".join(f"{n.upper()}_WORKERS=false" for n in with_workers)
        + "); SIGTERM stops them",
    )
    wk.add_argument("name", choices=with_workers)
    wk.set_defaults(func=_run_worker)

    sch = sub.add_parser(
        "schema", help="write SDL snapshots to schema/ (or --check them; or `diff` them with a commit's)"
    )
    sch.add_argument(
        "action",
        nargs="?",
        choices=("diff",),
        help="diff: print the changes from the supergraph committed at --against to the code's, breaking / "
        "dangerous / safe, with the operations each break breaks; fails on a break not in allowed-breaks.txt",
    )
    sch.add_argument("--against", default="HEAD", metavar="REF", help="the commit to diff with (HEAD)")
    sch.add_argument("--check", action="store_true", help="fail when the snapshots differ from the code")
    sch.add_argument("--allow-breaking", action="store_true", help="write even if the change breaks clients")
    sch.set_defaults(func=_run_schema)

    sql = [s.name for s in registry.SUBGRAPHS if s.sql or "mongo" in s.stores]
    mig = sub.add_parser(
        "migrate",
        help=f"apply Alembic migrations (SQL) and data migrations (Mongo) of ({', '.join(sql)})",
    )
    mig.add_argument("names", nargs="*", metavar="NAME", help="default: all of them")
    mig.set_defaults(func=_run_migrate)

    rst = sub.add_parser("restore", help="restore a backup (startBackup) into empty stores; needs DATA_KEK")
    rst.add_argument("file", help="the .backup file")
    rst.add_argument("--checksum", help="sha256:<hex> from `backups { checksum }`: refuse a different file")
    rst.set_defaults(func=_run_restore)

    sub.add_parser("router", help="the federation router (see `manpasik router --help`)")
    sub.add_parser("compose", help="compose a supergraph (see `manpasik compose --help`)")

    args = parser.parse_args(argv)
    if args.command == "migrate" and set(args.names) - set(sql):
        parser.error(f"migrate: nothing to migrate in: {', '.join(sorted(set(args.names) - set(sql)))}")
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
