"""The `manpasik` command: the dev stack, one subgraph alone, a subgraph's workers alone, the router, schema
snapshots, migrations."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import os
import sys

from libs.config import PORTS, Settings

SUBGRAPH_NAMES = [n for n in PORTS if n != "router"]
# Subgraphs with background workers: `subgraphs.<name>.worker.<class>(open_resources(...)).run(stop)`.
WORKER_CLASSES = {"coaching": "CoachingWorkers", "notification": "NotificationWorkers"}


def available_subgraphs() -> list[str]:
    """Subgraphs that exist in this checkout, in port order."""
    found = []
    for name in SUBGRAPH_NAMES:
        try:
            if importlib.util.find_spec(f"subgraphs.{name}.app") is not None:
                found.append(name)
        except ModuleNotFoundError:  # the domain's package does not exist yet
            continue
    return found


def _run_subgraph(args: argparse.Namespace) -> int:
    import uvicorn

    if args.name not in available_subgraphs():
        print(
            f"unknown subgraph {args.name!r}; available: {', '.join(available_subgraphs())}", file=sys.stderr
        )
        return 2
    uvicorn.run(
        f"subgraphs.{args.name}.app:create_app",
        factory=True,
        host=args.host,
        port=args.port or PORTS[args.name],
        log_level="warning",
        lifespan="on",
        ws="websockets-sansio",
        timeout_graceful_shutdown=5,
    )
    return 0


async def run_worker(name: str, settings: Settings, stop: asyncio.Event) -> None:
    """A subgraph's workers on their own stores and clients, until `stop` is set."""
    resources = importlib.import_module(f"subgraphs.{name}.resources")
    workers = getattr(importlib.import_module(f"subgraphs.{name}.worker"), WORKER_CLASSES[name])
    async with resources.open_resources(settings) as res:
        await workers(res).run(stop)


def _run_worker(args: argparse.Namespace) -> int:
    import logging
    import signal

    from libs.config import get_settings
    from libs.logging import configure_logging

    settings = get_settings()
    configure_logging(f"{args.name}-worker", settings.log_level, settings.log_json)
    log = logging.getLogger("manpasik.worker")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):  # finish the batch in hand, then leave
            loop.add_signal_handler(sig, stop.set)
        log.warning("%s workers started (pid %d)", args.name, os.getpid())
        await run_worker(args.name, settings, stop)
        log.warning("%s workers stopped", args.name)

    asyncio.run(main())
    return 0


def _run_dev(args: argparse.Namespace) -> int:
    from libs.devstack.supervisor import run_dev_stack

    return run_dev_stack(data_dir=args.data_dir, port_offset=args.port_offset, with_router=not args.no_router)


def _run_schema(args: argparse.Namespace) -> int:
    from libs.schema_snapshots import check_snapshots, write_snapshots

    return check_snapshots() if args.check else write_snapshots(allow_breaking=args.allow_breaking)


def _run_migrate(args: argparse.Namespace) -> int:
    import asyncio

    from libs.config import get_settings
    from libs.db.migrations import upgrade
    from libs.db.sql import create_engine, ensure_database

    async def migrate() -> None:
        settings = get_settings()
        for name in args.names or available_subgraphs():
            migrations = getattr(importlib.import_module(f"subgraphs.{name}.resources"), "MIGRATIONS", None)
            if migrations is None:  # not a SQL subgraph (measurement keeps its indexes itself)
                continue
            url = settings.sql_url(name)
            await ensure_database(url)
            engine = create_engine(url)
            try:
                await upgrade(engine, migrations)
            finally:
                await engine.dispose()
            print(f"{name}: {settings.database_name(name)} at head")

    asyncio.run(migrate())
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The router owns its own argument parsing; pass its arguments through untouched.
    if argv[:1] in (["router"], ["compose"]):
        from router.cli import main as router_main

        return router_main(argv[1:] if argv[0] == "router" else argv)

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
    sg.add_argument("name", choices=SUBGRAPH_NAMES)
    sg.add_argument("--host", default="127.0.0.1")
    sg.add_argument("--port", type=int, default=None)
    sg.set_defaults(func=_run_subgraph)

    wk = sub.add_parser(
        "worker",
        help="run one subgraph's event workers alone (scale them apart from the API: start the subgraph "
        "with COACHING_WORKERS=false / NOTIFICATION_WORKERS=false); SIGTERM stops them",
    )
    wk.add_argument("name", choices=sorted(WORKER_CLASSES))
    wk.set_defaults(func=_run_worker)

    sch = sub.add_parser("schema", help="write SDL snapshots to schema/ (or --check them)")
    sch.add_argument("--check", action="store_true", help="fail when the snapshots differ from the code")
    sch.add_argument("--allow-breaking", action="store_true", help="write even if the change breaks clients")
    sch.set_defaults(func=_run_schema)

    mig = sub.add_parser("migrate", help="apply Alembic migrations of the SQL subgraphs")
    mig.add_argument("names", nargs="*")
    mig.set_defaults(func=_run_migrate)

    sub.add_parser("router", help="the federation router (see `manpasik router --help`)")
    sub.add_parser("compose", help="compose a supergraph (see `manpasik compose --help`)")

    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
