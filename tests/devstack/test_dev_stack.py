"""`manpasik dev` (what `make run` calls) brings the stack up and Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from manpasik import registry

ROOT = Path(__file__).resolve().parents[2]


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _free_offset() -> int:
    ports = [*registry.ports().values(), 6379, 27017]
    for _ in range(50):
        offset = random.randrange(20000, 30000, 100)
        if all(socket.socket().connect_ex(("127.0.0.1", p + offset)) != 0 for p in ports):
            return offset
    pytest.skip("no free port range for a second dev stack")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_dev_stack_starts_serves_and_stops_without_orphans(tmp_path: Path) -> None:
    offset = _free_offset()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "MONGODB_URL", "DATABASE_URL")}
    env["MANPASIK_ENV"] = "dev"
    log_path = tmp_path / "dev.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "manpasik",
            "dev",
            "--data-dir",
            str(tmp_path / "data"),
            "--port-offset",
            str(offset),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    family: set[int] = set()
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and proc.poll() is None:
            if "dev stack is up" in log_path.read_text(errors="replace"):
                break
            time.sleep(0.2)
        output = log_path.read_text(errors="replace")
        assert "dev stack is up" in output, f"exit code {proc.poll()}; output:\n{output[-4000:]}"
        router = registry.ROUTER_PORT + offset
        with urllib.request.urlopen(f"http://127.0.0.1:{router}/health", timeout=5) as r:
            assert r.status == 200
        family = _descendants(proc.pid)
        # Redis (embedded), the Mongo wire server, every subgraph and the router.
        assert len(family) >= len(registry.SUBGRAPHS) + 2, family
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        finally:
            log.close()
    time.sleep(0.5)
    survivors = [pid for pid in family if _alive(pid)]
    assert survivors == [], f"left behind: {survivors}"
    for port in [p + offset for p in registry.ports().values()]:
        assert socket.socket().connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_the_mongo_server_dies_with_a_killed_parent(tmp_path: Path) -> None:
    # A parent killed with SIGKILL cannot clean up; the kernel's parent-death signal must.
    script = (
        "import sys, time; from pathlib import Path; from libs.testing import MongoServer; "
        f"m = MongoServer(Path({str(tmp_path)!r})).start(); print(m.proc.pid, flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    server_pid = int(parent.stdout.readline())
    assert _alive(server_pid)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(server_pid), "the Mongo wire server outlived its killed parent"
