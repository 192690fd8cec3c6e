"""Child processes of the dev stack: own process group, output prefixed with the child's name, and
orderly stop (SIGTERM to the group, SIGKILL after a grace period)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO

from libs.processes import die_with_parent

_COLOURS = ["36", "33", "35", "32", "34", "31", "96", "93", "95", "92", "94"]
_print_lock = threading.Lock()


class ManagedProcess:
    def __init__(self, name: str, cmd: Sequence[str], env: dict[str, str], index: int = 0) -> None:
        self.name = name
        self.cmd = list(cmd)
        self.env = env
        colour = _COLOURS[index % len(_COLOURS)]
        tty = sys.stdout.isatty()
        self.prefix = f"\x1b[{colour}m{name:>12} |\x1b[0m " if tty else f"{name:>12} | "
        self.proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> ManagedProcess:
        self.proc = subprocess.Popen(
            self.cmd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        assert self.proc.stdout is not None
        self._reader = threading.Thread(target=self._pump, args=(self.proc.stdout,), daemon=True)
        self._reader.start()
        return self

    def _pump(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace").rstrip()
            with _print_lock:
                print(self.prefix + line, flush=True)

    def say(self, message: str) -> None:
        with _print_lock:
            print(self.prefix + message, flush=True)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 8.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=grace)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                self.say(f"did not stop within {grace:.0f}s; killing")
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # Grandchildren left in the group (none expected) go too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self._reader is not None:
            self._reader.join(timeout=2)
