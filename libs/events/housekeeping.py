"""Periodic chores of a worker process (pruning markers and delivered rows), stopped with the worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("manpasik.events.housekeeping")


async def every(stop: asyncio.Event, interval_s: float, job: Callable[[], Awaitable[Any]], *,
                name: str) -> None:
    """Runs `job` now, then every `interval_s` until `stop`; a failing run is logged and tried next time."""
    while not stop.is_set():
        try:
            await job()
        except Exception:
            log.exception("%s failed", name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
