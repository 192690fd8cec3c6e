"""Publisher and consumer groups against the real Redis (each test on its own stream name)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from redis.asyncio import Redis

from libs.config import Settings
from libs.events import CloudEvent, DropEvent, EventConsumer, EventPublisher, group_lag
from libs.events.streams import dead_letter_key, stream_key


def _stream() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def _event(n: int = 0, id: str | None = None) -> CloudEvent:
    return CloudEvent.new("test.happened", "/tests", f"s-{n}", {"n": n}, id=id)


async def _drain(consumer: EventConsumer, rounds: int = 50, pause: float = 0.02) -> None:
    for _ in range(rounds):
        await consumer.process_once(block_ms=0)
        await asyncio.sleep(pause)


async def test_publish_appends_to_the_prefixed_stream_key(redis: Redis, settings: Settings) -> None:
    stream = _stream()
    e = _event(1)
    entry_id = await EventPublisher(redis, settings).publish(stream, e)
    key = settings.redis_key("events", stream)
    assert key == stream_key(settings, stream) and key.startswith(settings.redis_prefix)
    [(got_id, fields)] = await redis.xrange(key)
    assert got_id == entry_id and fields["type"] == "test.happened" and fields["id"] == e.id
    assert CloudEvent.from_json(fields["event"]) == e


async def test_publisher_trims_approximately(redis: Redis, settings: Settings) -> None:
    stream = _stream()
    pub = EventPublisher(redis, settings, maxlen=100)
    for i in range(600):
        await pub.publish(stream, _event(i))
    assert 100 <= await redis.xlen(stream_key(settings, stream)) < 600


async def test_group_is_created_with_the_stream_and_sees_earlier_events(
    redis: Redis, settings: Settings,
) -> None:
    stream = _stream()
    seen: list[int] = []

    async def handler(e: CloudEvent) -> None:
        seen.append(e.data["n"])

    consumer = EventConsumer(redis, settings, stream=stream, group="g", consumer="c1", handler=handler)
    lag = await consumer.lag()  # creates the group (MKSTREAM) on an empty stream
    assert (lag.stream_length, lag.pending, lag.lag) == (0, 0, 0)
    pub = EventPublisher(redis, settings)
    for i in range(3):
        await pub.publish(stream, _event(i))
    assert (await consumer.lag()).lag == 3
    assert await consumer.process_once(block_ms=0) == 3
    assert seen == [0, 1, 2]
    lag = await consumer.lag()
    assert (lag.pending, lag.lag, lag.dead_letters) == (0, 0, 0)


async def test_failed_handler_is_retried_with_backoff_and_acked_only_after_success(
    redis: Redis, settings: Settings,
) -> None:
    stream = _stream()
    calls: list[float] = []
    loop = asyncio.get_running_loop()

    async def flaky(e: CloudEvent) -> None:
        calls.append(loop.time())
        if len(calls) < 3:
            raise RuntimeError("store unavailable")

    consumer = EventConsumer(redis, settings, stream=stream, group="g", consumer="c1", handler=flaky,
                             retry_base_ms=50, max_attempts=5)
    await consumer.ensure_group()
    await EventPublisher(redis, settings).publish(stream, _event())
    await consumer.process_once(block_ms=0)
    assert len(calls) == 1 and (await consumer.lag()).pending == 1  # not acknowledged after the failure
    await _drain(consumer, rounds=30)
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.045 and calls[2] - calls[1] >= 0.095  # 50 ms, then 100 ms
    lag = await consumer.lag()
    assert (lag.pending, lag.dead_letters) == (0, 0)


async def test_dead_letter_after_max_attempts(redis: Redis, settings: Settings) -> None:
    stream = _stream()
    calls = 0

    async def broken(e: CloudEvent) -> None:
        nonlocal calls
        calls += 1
        raise ValueError("cannot handle this")

    consumer = EventConsumer(redis, settings, stream=stream, group="g", consumer="c1", handler=broken,
                             retry_base_ms=10, retry_max_ms=20, max_attempts=3)
    await consumer.ensure_group()
    e = _event()
    await EventPublisher(redis, settings).publish(stream, e)
    await _drain(consumer, rounds=20)
    assert calls == 3
    lag = await consumer.lag()
    assert (lag.pending, lag.dead_letters) == (0, 1)
    [(_, dead)] = await redis.xrange(dead_letter_key(settings, stream, "g"))
    assert dead["attempts"] == "3" and "ValueError: cannot handle this" in dead["error"]
    assert CloudEvent.from_json(dead["event"]) == e and dead["group"] == "g"


async def test_invalid_entries_go_straight_to_the_dead_letter_stream(
    redis: Redis, settings: Settings,
) -> None:
    stream = _stream()
    calls = 0

    async def handler(e: CloudEvent) -> None:
        nonlocal calls
        calls += 1

    consumer = EventConsumer(redis, settings, stream=stream, group="g", consumer="c1", handler=handler)
    await consumer.ensure_group()
    await redis.xadd(stream_key(settings, stream), {"event": '{"specversion": "1.0"}'})
    await consumer.process_once(block_ms=0)
    assert calls == 0
    lag = await consumer.lag()
    assert (lag.pending, lag.dead_letters) == (0, 1)


async def test_entries_of_a_dead_consumer_are_reclaimed(redis: Redis, settings: Settings) -> None:
    stream = _stream()
    seen: list[str] = []

    async def handler(e: CloudEvent) -> None:
        seen.append(e.id)

    survivor = EventConsumer(redis, settings, stream=stream, group="g", consumer="survivor", handler=handler,
                             claim_idle_ms=100)
    await survivor.ensure_group()
    e = _event()
    await EventPublisher(redis, settings).publish(stream, e)
    # "crashed" reads the entry and dies before acknowledging it.
    await redis.xreadgroup("g", "crashed", {stream_key(settings, stream): ">"}, count=10)
    assert await survivor.process_once(block_ms=0) == 0  # not idle long enough: maybe still being handled
    await asyncio.sleep(0.15)
    assert await survivor.process_once(block_ms=0) == 1
    assert seen == [e.id]
    assert (await survivor.lag()).pending == 0


async def test_a_redelivered_event_runs_once_per_group(redis: Redis, settings: Settings) -> None:
    stream = _stream()
    runs: Counter[str] = Counter()

    def handler_for(group: str):  # type: ignore[no-untyped-def]
        async def handler(e: CloudEvent) -> None:
            runs[group] += 1
        return handler

    pub = EventPublisher(redis, settings)
    e = _event(id=str(uuid.uuid4()))
    await pub.publish(stream, e)
    await pub.publish(stream, e)  # e.g. an outbox relay that crashed before marking its row
    for group in ("a", "b"):
        c = EventConsumer(redis, settings, stream=stream, group=group, consumer="c",
                          handler=handler_for(group))
        await c.process_once(block_ms=0)
        assert (await c.lag()).pending == 0
    assert runs == {"a": 1, "b": 1}


async def test_competing_consumers_share_the_work_without_duplicates(
    redis: Redis, settings: Settings,
) -> None:
    stream = _stream()
    seen: Counter[int] = Counter()

    async def handler(e: CloudEvent) -> None:
        seen[e.data["n"]] += 1
        await asyncio.sleep(0)

    consumers = [EventConsumer(redis, settings, stream=stream, group="g", consumer=f"c{i}", handler=handler,
                               batch_size=3) for i in range(3)]
    await consumers[0].ensure_group()
    pub = EventPublisher(redis, settings)
    for i in range(30):
        await pub.publish(stream, _event(i))
    for _ in range(5):
        await asyncio.gather(*(c.process_once(block_ms=0) for c in consumers))
    assert seen == Counter(range(30))


async def test_run_blocks_for_new_events_until_stopped(redis: Redis, settings: Settings) -> None:
    stream = _stream()
    got = asyncio.Queue[CloudEvent]()

    async def handler(e: CloudEvent) -> None:
        await got.put(e)

    consumer = EventConsumer(redis, settings, stream=stream, group="g", consumer="c", handler=handler,
                             block_ms=200)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    e = _event()
    await asyncio.sleep(0.05)
    await EventPublisher(redis, settings).publish(stream, e)
    assert (await asyncio.wait_for(got.get(), 5)).id == e.id
    stop.set()
    await asyncio.wait_for(task, 2)


async def test_drop_event_skips_the_retries(redis: Redis, settings: Settings) -> None:
    stream = _stream()
    calls = 0

    async def refuses(e: CloudEvent) -> None:
        nonlocal calls
        calls += 1
        raise DropEvent("userId missing")

    consumer = EventConsumer(redis, settings, stream=stream, group="g", consumer="c", handler=refuses,
                             retry_base_ms=1)
    await consumer.ensure_group()
    await EventPublisher(redis, settings).publish(stream, _event())
    await _drain(consumer, rounds=5)
    assert calls == 1
    lag = await consumer.lag()
    assert (lag.pending, lag.dead_letters) == (0, 1)


async def test_dead_letters_can_be_replayed_after_a_fix(redis: Redis, settings: Settings) -> None:
    stream = _stream()
    fixed = False
    handled: list[str] = []

    async def handler(e: CloudEvent) -> None:
        if not fixed:
            raise RuntimeError("bug")
        handled.append(e.id)

    consumer = EventConsumer(redis, settings, stream=stream, group="g", consumer="c", handler=handler,
                             max_attempts=1)
    await consumer.ensure_group()
    e = _event()
    await EventPublisher(redis, settings).publish(stream, e)
    await consumer.process_once(block_ms=0)
    assert (await consumer.lag()).dead_letters == 1
    fixed = True
    assert await consumer.replay_dead_letters() == 1
    await consumer.process_once(block_ms=0)
    assert handled == [e.id]
    lag = await consumer.lag()
    assert (lag.pending, lag.lag, lag.dead_letters) == (0, 0, 0)


async def test_lag_can_be_read_without_creating_the_group(redis: Redis, settings: Settings) -> None:
    stream = _stream()
    assert await group_lag(redis, settings, stream, "g") is None
    await EventPublisher(redis, settings).publish(stream, _event())
    assert await group_lag(redis, settings, stream, "g") is None
    await redis.xgroup_create(stream_key(settings, stream), "g", id="0")
    lag = await group_lag(redis, settings, stream, "g")
    assert lag is not None and (lag.stream_length, lag.lag, lag.pending) == (1, 1, 0)


async def test_idle_consumers_without_pending_entries_are_forgotten(redis: Redis, settings: Settings) -> None:
    stream = _stream()

    async def handler(e: CloudEvent) -> None:
        return None

    old = EventConsumer(redis, settings, stream=stream, group="g", consumer="old-process", handler=handler)
    new = EventConsumer(redis, settings, stream=stream, group="g", consumer="new-process", handler=handler)
    await old.ensure_group()
    pub = EventPublisher(redis, settings)
    await pub.publish(stream, _event(1))
    assert await old.process_once(block_ms=0) == 1
    await pub.publish(stream, _event(2))
    assert await new.process_once(block_ms=0) == 1
    assert await new.forget_idle_consumers(idle_ms=60_000) == []  # still recent
    await asyncio.sleep(0.05)
    assert await new.forget_idle_consumers(idle_ms=10) == ["old-process"]
    consumers = await redis.xinfo_consumers(stream_key(settings, stream), "g")
    assert {c["name"] for c in consumers} == {"new-process"}


async def test_concurrent_lanes_keep_the_order_of_one_subject(redis: Redis, settings: Settings) -> None:
    stream = _stream()
    order: dict[str, list[int]] = {}
    running = 0
    peak = 0

    async def handler(e: CloudEvent) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01 if e.data["n"] % 2 else 0.02)
        order.setdefault(str(e.subject), []).append(e.data["n"])
        running -= 1

    consumer = EventConsumer(redis, settings, stream=stream, group="g", consumer="c", handler=handler,
                             batch_size=40, concurrency=4)
    await consumer.ensure_group()
    pub = EventPublisher(redis, settings)
    for n in range(40):
        await pub.publish(stream, CloudEvent.new("test.happened", "/tests", f"user-{n % 4}", {"n": n}))
    assert await consumer.process_once(block_ms=0) == 40
    assert peak == 4
    assert order == {f"user-{u}": list(range(u, 40, 4)) for u in range(4)}
    assert (await consumer.lag()).pending == 0


async def test_a_lost_stream_is_recreated_with_its_group(redis: Redis, settings: Settings) -> None:
    """Redis restarted without persistence: the consumer recreates the group instead of failing forever."""
    stream = _stream()
    seen: list[str] = []

    async def handler(e: CloudEvent) -> None:
        seen.append(e.id)

    consumer = EventConsumer(redis, settings, stream=stream, group="g", consumer="c", handler=handler)
    await consumer.ensure_group()
    await redis.delete(stream_key(settings, stream))
    await consumer.process_once(block_ms=0)  # NOGROUP: noted, not raised
    e = _event()
    await EventPublisher(redis, settings).publish(stream, e)
    for _ in range(3):
        await consumer.process_once(block_ms=0)
    assert seen == [e.id]


async def test_a_batch_handler_gets_one_read_in_order_and_falls_back_one_by_one(
    redis: Redis, settings: Settings,
) -> None:
    stream = _stream()
    batches: list[list[int]] = []
    singles: list[int] = []

    async def batch(events: list[CloudEvent]) -> None:
        if any(e.data["n"] == 3 for e in events):
            raise RuntimeError("one of them is bad")  # all or nothing: nothing was done
        batches.append([e.data["n"] for e in events])

    async def one(e: CloudEvent) -> None:
        if e.data["n"] == 3:
            raise DropEvent("bad")
        singles.append(e.data["n"])

    consumer = EventConsumer(redis, settings, stream=stream, group="g", consumer="c", handler=one,
                             batch_handler=batch, batch_size=3)
    await consumer.ensure_group()
    pub = EventPublisher(redis, settings)
    for n in range(6):
        await pub.publish(stream, _event(n))
    assert await consumer.process_once(block_ms=0) == 3
    assert await consumer.process_once(block_ms=0) == 3
    assert batches == [[0, 1, 2]] and singles == [4, 5]
    lag = await consumer.lag()
    assert (lag.pending, lag.lag, lag.dead_letters) == (0, 0, 1)
