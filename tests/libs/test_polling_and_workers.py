"""The shared polling loop and the event-worker runner: wake-ups, full batches, failures, clean stops."""

from __future__ import annotations

import asyncio

from libs.events.workers import EventWorkers, Handled
from libs.polling import PollingLoop


async def test_wake_runs_the_next_pass_at_once() -> None:
    passes: list[float] = []

    async def pass_once() -> int:
        passes.append(asyncio.get_running_loop().time())
        return 0

    loop = PollingLoop(pass_once, interval_s=30, batch_size=10, name="test")
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    await asyncio.sleep(0.05)
    assert len(passes) == 1  # then it sleeps for the interval
    loop.wake()
    await asyncio.sleep(0.05)
    assert len(passes) == 2
    stop.set()
    await asyncio.wait_for(task, 1)


async def test_a_full_batch_runs_again_without_waiting() -> None:
    left = [10, 10, 3]

    async def pass_once() -> int:
        return left.pop(0) if left else 0

    loop = PollingLoop(pass_once, interval_s=30, batch_size=10, name="test")
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    await asyncio.sleep(0.05)
    assert left == []
    stop.set()
    await asyncio.wait_for(task, 1)


async def test_a_failed_pass_is_retried_after_the_interval() -> None:
    calls = 0

    async def pass_once() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database away")
        return 0

    loop = PollingLoop(pass_once, interval_s=0.05, batch_size=10, name="test")
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.wait_for(task, 1)
    assert calls >= 2


async def test_stop_ends_the_loop_while_it_sleeps() -> None:
    async def pass_once() -> int:
        return 0

    stop = asyncio.Event()
    task = asyncio.create_task(PollingLoop(pass_once, interval_s=3600, batch_size=1, name="t").run(stop))
    await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 1)  # well before the hour


class _Consumer:
    def __init__(self) -> None:
        self.groups = 0
        self.ran = asyncio.Event()
        self.stopped = False

    async def ensure_group(self) -> None:
        self.groups += 1

    async def run(self, stop: asyncio.Event) -> None:
        self.ran.set()
        await stop.wait()
        self.stopped = True


async def test_workers_prepare_groups_before_the_block_and_stop_after_it() -> None:
    consumer = _Consumer()
    looped = asyncio.Event()

    async def relay(stop: asyncio.Event) -> None:
        looped.set()
        await stop.wait()

    workers = EventWorkers(consumers=[consumer], loops=[relay])  # type: ignore[list-item]
    async with workers.running():
        assert consumer.groups >= 1  # events published from here on are kept for the group
        await asyncio.wait_for(asyncio.gather(consumer.ran.wait(), looped.wait()), 1)
    assert consumer.stopped


async def test_workers_run_until_stop() -> None:
    consumer = _Consumer()
    stop = asyncio.Event()
    task = asyncio.create_task(EventWorkers(consumers=[consumer]).run(stop))  # type: ignore[list-item]
    await asyncio.wait_for(consumer.ran.wait(), 1)
    stop.set()
    await asyncio.wait_for(task, 1)
    assert consumer.stopped and consumer.groups == 1


def test_handled_extends() -> None:
    a: Handled[str] = Handled(["x"])
    a.extend(Handled(["y"]))
    assert a.items == ["x", "y"] and a.outbox == []
