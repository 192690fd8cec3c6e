"""Starts the embedded stores, every subgraph and the router, each as its own process; waits until all are
ready; on Ctrl-C (or SIGTERM) stops them in reverse order and leaves nothing behind."""

from __future__ import annotations

import importlib
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from libs.db.mongo_server import MongoServer
from manpasik import registry
from manpasik.devstack.processes import ManagedProcess


class StartupError(RuntimeError):
    pass


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def _wait_ready(proc: ManagedProcess, url: str, timeout: float, stop: threading.Event) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        if not proc.running():
            raise StartupError(f"{proc.name} exited during startup (see its log lines above)")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    if not stop.is_set():
        raise StartupError(f"{proc.name} not ready at {url} after {timeout:.0f}s")


class DevStack:
    def __init__(self, data_dir: Path, port_offset: int, with_router: bool) -> None:
        self.data_dir = data_dir.resolve()
        self.offset = port_offset
        self.with_router = with_router
        self.children: list[ManagedProcess] = []
        self.mongo: MongoServer | None = None
        self.stop_requested = threading.Event()
        self.python = sys.executable

    def port(self, name: str) -> int:
        return registry.port(name) + self.offset

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> ManagedProcess:
        proc = ManagedProcess(name, cmd, env, index=len(self.children)).start()
        self.children.append(proc)
        return proc

    def _redis_url(self, env: dict[str, str]) -> str:
        if os.environ.get("REDIS_URL"):
            return os.environ["REDIS_URL"]
        port = 6379 + self.offset
        if _port_open(port):
            return f"redis://127.0.0.1:{port}/0"  # the machine's Redis
        server = shutil.which("redis-server")
        cmd = (
            [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            if server
            else [self.python, "-m", "manpasik.devstack.fakeredis_server", "--port", str(port)]
        )
        proc = self._spawn("redis", cmd, env)
        deadline = time.monotonic() + 15
        while not _port_open(port):
            if not proc.running() or time.monotonic() > deadline:
                raise StartupError("could not start a local Redis")
            time.sleep(0.1)
        return f"redis://127.0.0.1:{port}/0"

    def _mongo_url(self) -> str:
        if os.environ.get("MONGODB_URL"):
            return os.environ["MONGODB_URL"]
        port = 27017 + self.offset
        self.mongo = MongoServer(self.data_dir / "mongo", port=None if _port_open(port) else port)
        self.mongo.start()
        print(
            f"{'mongo':>12} | nx-27017 MongoDB wire server on {self.mongo.url} (data: {self.mongo.data_dir})",
            flush=True,
        )
        return self.mongo.url

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.setdefault("MANPASIK_ENV", "dev")
        env.setdefault("DATA_DIR", str(self.data_dir))
        env.setdefault("LOG_JSON", "false")
        env["REDIS_URL"] = self._redis_url(env)
        env["MONGODB_URL"] = self._mongo_url()
        # The router signs its subgraph requests with it (subgraphs believe X-Forwarded-For only then): a new
        # one per run unless the environment names one.
        env.setdefault("ROUTER_SUBGRAPH_SECRET", secrets.token_urlsafe(32))

        for row in registry.SUBGRAPHS:
            if row.dev_sandbox is not None and env["MANPASIK_ENV"] != "prod":
                self._start_sandbox(row, env)
        subgraphs = registry.names()
        # The admin console's systemHealth asks each of them (and the router) for /ready.
        urls = {n: f"http://127.0.0.1:{self.port(n)}" for n in subgraphs}
        env.setdefault("ADMIN_SUBGRAPH_URLS", json.dumps(urls))
        if self.with_router:
            env.setdefault("ADMIN_ROUTER_URL", f"http://127.0.0.1:{self.port('router')}")
        procs = {}
        for name in subgraphs:
            procs[name] = self._spawn(
                name, [self.python, "-m", "manpasik", "subgraph", name, "--port", str(self.port(name))], env
            )
        for name in subgraphs:
            _wait_ready(procs[name], f"http://127.0.0.1:{self.port(name)}/ready", 90, self.stop_requested)
            procs[name].say(f"ready on http://127.0.0.1:{self.port(name)}/graphql")
        if self.with_router and not self.stop_requested.is_set():
            args = [f"{n}=http://127.0.0.1:{self.port(n)}/graphql" for n in subgraphs]
            port = str(self.port("router"))
            cmd = [self.python, "-m", "manpasik", "router", "serve", "--verify-tokens", "--port", port]
            for a in args:
                cmd += ["--subgraph", a]
            router = self._spawn("router", cmd, env)
            _wait_ready(router, f"http://127.0.0.1:{self.port('router')}/ready", 90, self.stop_requested)

    def _start_sandbox(self, row: registry.Subgraph, env: dict[str, str]) -> None:
        """A local stand-in for the subgraph's third-party provider (payment: the Toss sandbox). Its module's
        `dev_env(port_offset, subgraph_port)` says where it listens and what the subgraph must be told, or
        None when the environment already points the subgraph at a real provider."""
        assert row.dev_sandbox is not None
        planned = importlib.import_module(row.dev_sandbox).dev_env(self.offset, self.port(row.name))
        if planned is None:
            return
        health, extra = planned
        env.update(extra)
        proc = self._spawn(f"{row.name}-sandbox", [self.python, "-m", row.dev_sandbox], env)
        _wait_ready(proc, health, 30, self.stop_requested)
        proc.say(f"ready: {health.removesuffix('/health')}")

    def banner(self) -> str:
        lines = ["", "ManPaSik dev stack is up."]
        if self.with_router:
            lines.append(f"  GraphiQL / API : http://127.0.0.1:{self.port('router')}/graphql")
        for name in registry.names():
            lines.append(f"  {name:<14} : http://127.0.0.1:{self.port(name)}/graphql")
        if "auth" in registry.names():  # the accounts auth seeds in dev
            from subgraphs.auth.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

            emails = ", ".join(account[0] for account in DEMO_ACCOUNTS)
            lines.append(f"  demo accounts (password {DEMO_PASSWORD}): {emails}")
        lines.append("  Ctrl-C stops everything.")
        return "\n".join(lines)

    def stop(self) -> None:
        for proc in reversed(self.children):
            proc.stop()
        if self.mongo is not None:
            self.mongo.stop()


def run_dev_stack(data_dir: str, port_offset: int = 0, with_router: bool = True) -> int:
    stack = DevStack(Path(data_dir), port_offset, with_router)

    def on_signal(signum: int, _frame: object) -> None:
        stack.stop_requested.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    try:
        stack.start()
        if not stack.stop_requested.is_set():
            print(stack.banner(), flush=True)
        while not stack.stop_requested.wait(0.5):
            dead = [p.name for p in stack.children if not p.running()]
            if dead:
                print(f"stopping: {', '.join(dead)} exited", flush=True)
                code = 1
                break
    except StartupError as e:
        print(f"dev stack failed to start: {e}", file=sys.stderr, flush=True)
        code = 1
    finally:
        print("stopping the dev stack ...", flush=True)
        stack.stop()
        print("stopped.", flush=True)
    return code
