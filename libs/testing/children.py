"""Child processes that cannot outlive their parent, even when the parent is killed with SIGKILL."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    with contextlib.suppress(OSError):  # no libc.so.6: live without the guarantee
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that makes Linux send the child SIGTERM when the spawning thread's process dies."""
    return _die_with_parent if sys.platform == "linux" else None
