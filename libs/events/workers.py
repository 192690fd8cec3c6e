"""The event-worker runner every subgraph with background work uses.

    class CoachingWorkers(EventWorkers):
        name = "coaching"
        def __init__(self, res): ...; super().__init__(consumers=[...], loops=[relay.run, ...])

    async with CoachingWorkers(res).running():   # inside the subgraph process (its lifespan)
        ...
    await CoachingWorkers(res).run(stop)          # as a process of its own (`manpasik worker coaching`)

Any number of copies may run: consumer groups share the work, relays and senders lock their rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Self, TypeVar

from libs.events.consumer import EventConsumer
from libs.events.outbox import OutboxBase

log = logging.getLogger("manpasik.events.workers")

T = TypeVar("T")
Loop = Callable[[asyncio.Event], Awaitable[None]]


@dataclass(slots=True)
class Handled(Generic[T]):
    """What one event handler's unit of work wrote: the new rows and their committed outbox rows (for the
    worker to publish at once, after the commit)."""

    items: list[T] = field(default_factory=list)
    outbox: list[OutboxBase] = field(default_factory=list)

    def extend(self, other: Handled[T]) -> None:
        self.items += other.items
        self.outbox += other.outbox


class EventWorkers:
    name = "event"
    stop_timeout_s = 10.0

    def __init__(self, *, consumers: Sequence[EventConsumer], loops: Sequence[Loop] = ()) -> None:
        self.consumers = list(consumers)
        self.loops = list(loops)  # relays, senders, housekeeping: each runs until `stop` is set

    async def prepare(self) -> None:
        """Creates the consumer groups, so events published from now on are kept for them."""
        for consumer in self.consumers:
            await consumer.ensure_group()

    async def run(self, stop: asyncio.Event) -> None:
        await self.prepare()
        await asyncio.gather(*(c.run(stop) for c in self.consumers), *(loop(stop) for loop in self.loops))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Self]:
        """Runs the workers beside the caller (groups exist when the block starts); stops them after it."""
        stop = asyncio.Event()
        await self.prepare()
        task = asyncio.create_task(self.run(stop), name=f"{self.name}-workers")
        try:
            yield self
        finally:
            stop.set()
            try:
                await asyncio.wait_for(task, timeout=self.stop_timeout_s)
            except TimeoutError:
                log.warning("%s workers did not stop in time", self.name)
