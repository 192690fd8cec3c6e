"""The one background polling loop: run a pass, then sleep until woken, stopped or the interval is up.

Used by the outbox relay and by senders of queued work (push deliveries). A pass that returned a full batch
runs again at once; a failed pass is logged and retried after the interval (the store may be briefly away).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("manpasik.polling")


class PollingLoop:
    def __init__(self, pass_once: Callable[[], Awaitable[int]], *, interval_s: float, batch_size: int,
                 name: str) -> None:
        self.pass_once = pass_once
        self.interval_s = interval_s
        self.batch_size = batch_size
        self.name = name
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Run the next pass now (after a commit that queued work), not at the next interval."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()  # before the pass: a wake() during it triggers the next one at once
            try:
                done = await self.pass_once()
            except Exception:
                log.exception("%s pass failed", self.name)
                done = 0
            if done >= self.batch_size:
                continue
            waiters = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
            _, rest = await asyncio.wait(waiters, timeout=self.interval_s,
                                         return_when=asyncio.FIRST_COMPLETED)
            for task in rest:
                task.cancel()
