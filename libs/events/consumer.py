"""Consumer groups over Redis Streams: at-least-once, retried with backoff, dead-lettered after N attempts.

One `process_once` pass:
1. reclaims entries another (dead) consumer left pending longer than `claim_idle_ms` (XAUTOCLAIM; looked at
   every claim_idle_ms / 4, not on every pass);
2. retries this consumer's own failed entries once their backoff has passed (XPENDING + XCLAIM, whose
   min-idle check makes the claim atomic between competing consumers; only while it has some);
3. reads new entries (XREADGROUP >), handles them (in one call when a `batch_handler` is given) and
   acknowledges them with one XACK.
An entry is acknowledged only after its handler returned (or after it went to the dead-letter stream). The
attempt count is Redis' own delivery counter, so it survives restarts. Handlers must be idempotent; by default
a Redis marker per (group, event id) makes a redelivered event a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from libs.config import Settings
from libs.events.envelope import CloudEvent, InvalidEvent
from libs.events.idempotency import Claim, RedisIdempotency
from libs.events.streams import dead_letter_key, stream_key
from libs.telemetry import metrics
from libs.telemetry.tracing import consuming

log = logging.getLogger("manpasik.events")

Handler = Callable[[CloudEvent], Awaitable[None]]
BatchHandler = Callable[[list[CloudEvent]], Awaitable[None]]


class DropEvent(Exception):
    """Raised by a handler for an event that can never succeed (malformed data): dead-lettered at once."""


@dataclass(frozen=True, slots=True)
class ConsumerLag:
    stream_length: int
    pending: int  # delivered to the group, not yet acknowledged
    lag: int | None  # in the stream, not yet delivered to the group (None when Redis cannot tell)
    consumers: int
    dead_letters: int


def default_consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


async def group_lag(redis: Redis, settings: Settings, stream: str, group: str) -> ConsumerLag | None:
    """A group's backlog without creating anything (for /ready and dashboards); None if it does not exist."""
    key = stream_key(settings, stream)
    if not await redis.exists(key):
        return None
    groups: list[dict[str, Any]] = await redis.xinfo_groups(key)
    info = next((g for g in groups if g["name"] == group), None)
    if info is None:
        return None
    return ConsumerLag(
        stream_length=await redis.xlen(key), pending=int(info.get("pending") or 0), lag=info.get("lag"),
        consumers=int(info.get("consumers") or 0),
        dead_letters=await redis.xlen(dead_letter_key(settings, stream, group)),
    )


async def lag_checks(redis: Redis, settings: Settings, groups: list[tuple[str, str]]) -> dict[str, str]:
    """`/ready` lines for (stream, group) pairs. Backlogs are reported, not judged: a lagging consumer is an
    alert, not a reason to stop serving."""
    checks = {}
    for stream, group in groups:
        lag = await group_lag(redis, settings, stream, group)
        checks[f"events:{stream}/{group}"] = (
            f"lag={lag.lag} pending={lag.pending} dead={lag.dead_letters}" if lag else "no group yet"
        )
    return checks


class EventConsumer:
    def __init__(
        self,
        redis: Redis,
        settings: Settings,
        *,
        stream: str,
        group: str,
        handler: Handler,
        batch_handler: BatchHandler | None = None,
        consumer: str | None = None,
        max_attempts: int = 5,
        batch_size: int = 16,
        concurrency: int = 1,
        block_ms: int = 2000,
        claim_idle_ms: int = 60_000,
        retry_base_ms: int = 250,
        retry_max_ms: int = 30_000,
        dedupe: bool = True,
        idempotency: RedisIdempotency | None = None,
        start_id: str = "0",
    ) -> None:
        self.redis = redis
        self.settings = settings
        self.stream = stream
        self.group = group
        self.consumer = consumer or default_consumer_name()
        self.handler = handler
        # Optional: all new entries of one read in one call (e.g. one transaction). It must be all-or-nothing
        # (raise only if nothing took effect) and keep the stream order of one subject; when it raises, the
        # entries go through `handler` one by one, so one bad event never holds back the others.
        self.batch_handler = batch_handler
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        # >1: entries of a batch run concurrently, except that entries with the same CloudEvent `subject`
        # (e.g. one user's measurements) keep their stream order.
        self.concurrency = concurrency
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.retry_base_ms = retry_base_ms
        self.retry_max_ms = retry_max_ms
        # SQL handlers pass dedupe=False and record processed ids in their own transaction instead.
        self.idempotency = idempotency or (RedisIdempotency(redis, settings, group) if dedupe else None)
        # "0": a new group sees the stream's history, so nothing published before it existed is lost.
        self.start_id = start_id
        self.key = stream_key(settings, stream)
        self.dead_letter_key = dead_letter_key(settings, stream, group)
        self._group_ready = False
        self._autoclaim_cursor = "0-0"
        self._next_reclaim = 0.0
        self._looked_own = False
        self._own_pending = 0
        self._passes = 0
        metrics.watch_consumer(self)  # its backlog on this process's /metrics
        self._handled = tuple(metrics.EVENTS.labels(stream, group, o) for o in ("ok", "retry", "dead"))
        self._latency = metrics.EVENT_LATENCY.labels(stream, group)

    # -- setup and observability ---------------------------------------------------------------------------

    async def ensure_group(self) -> None:
        # Look before creating: an error reply (BUSYGROUP) is normal for Redis but breaks the connection it
        # came on with fakeredis' TCP server, which the embedded dev stack uses.
        if await group_lag(self.redis, self.settings, self.stream, self.group) is not None:
            self._group_ready = True
            return
        try:
            await self.redis.xgroup_create(self.key, self.group, id=self.start_id, mkstream=True)
        except ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise
        self._group_ready = True

    async def lag(self) -> ConsumerLag:
        if not self._group_ready:
            await self.ensure_group()
        found = await group_lag(self.redis, self.settings, self.stream, self.group)
        return found or ConsumerLag(0, 0, 0, 0, 0)

    async def replay_dead_letters(self, limit: int = 100) -> int:
        """Puts dead-lettered events back on the stream (after a fix was deployed); returns how many.

        Every group on the stream sees them again; the idempotency markers keep the others from acting twice.
        """
        entries: Any = await self.redis.xrange(self.dead_letter_key, count=limit)
        for entry_id, fields in entries:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.xadd(self.key, {k: fields[k] for k in ("type", "id", "event") if k in fields})
                pipe.xdel(self.dead_letter_key, entry_id)
                await pipe.execute()
        return len(entries)

    async def forget_idle_consumers(self, idle_ms: int = 3_600_000) -> list[str]:
        """Removes consumers (old process names) idle this long with nothing pending; returns their names."""
        consumers: Any = await self.redis.xinfo_consumers(self.key, self.group)
        gone = [c["name"] for c in consumers
                if c["name"] != self.consumer and int(c["pending"]) == 0 and int(c["idle"]) >= idle_ms]
        for name in gone:
            await self.redis.xgroup_delconsumer(self.key, self.group, name)
        return gone

    def backoff_ms(self, attempts: int) -> int:
        """Delay before attempt `attempts + 1`: exponential from `retry_base_ms`, capped."""
        return int(min(self.retry_max_ms, self.retry_base_ms * 2 ** max(0, attempts - 1)))

    # -- the loop ------------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Processes until `stop` is set; survives Redis outages by retrying with backoff."""
        failures = 0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                started = loop.time()
                handled = await self.process_once()
                failures = 0
                if not handled and loop.time() - started < self.block_ms / 2000:
                    # The server did not block (fakeredis in the embedded dev stack ignores BLOCK): idle
                    # briefly instead of spinning. With Redis an empty pass has waited block_ms already.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=min(0.1, self.block_ms / 1000))
            except (RedisError, OSError) as e:
                failures += 1
                self._group_ready = False  # the stream may have been lost with the server (NOGROUP)
                delay = min(5.0, 0.1 * 2**failures)
                log.warning("consumer %s/%s: redis unavailable (%s), retrying in %.1fs", self.group,
                            self.consumer, e, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)

    async def process_once(self, block_ms: int | None = None) -> int:
        """One pass (reclaim, retries, new entries); returns how many entries were handled or given up."""
        if not self._group_ready:
            await self.ensure_group()
        try:
            return await self._pass(block_ms)
        except ResponseError as e:
            if "NOGROUP" not in str(e):
                raise
            # The stream went away (deleted, or Redis restarted without persistence): the next pass recreates
            # it with the group. Entries lost with it are gone, hence Redis runs with AOF in production.
            self._group_ready = False
            return 0

    async def _pass(self, block_ms: int | None) -> int:
        handled = await self._reclaim_dead()
        handled += await self._retry_own()
        block = self.block_ms if block_ms is None else block_ms
        if handled or self._own_pending:
            # Do not sleep past the next retry's due time.
            block = min(block, self.retry_base_ms) if not handled else 0
        batches: Any = await self.redis.xreadgroup(
            self.group, self.consumer, {self.key: ">"}, count=self.batch_size, block=block or None,
        )
        for _, entries in batches or []:
            await self._handle_batch(entries)
            handled += len(entries)
        return handled

    async def _reclaim_dead(self) -> int:
        """Takes over entries a consumer received and never acknowledged (it crashed or hung)."""
        # Only entries idle for claim_idle_ms qualify, so looking every quarter of that is enough and keeps
        # a round trip off every pass; a scan that stopped half-way (cursor not 0-0) goes on at once.
        now = asyncio.get_running_loop().time()
        if self._autoclaim_cursor == "0-0" and now < self._next_reclaim:
            return 0
        self._next_reclaim = now + self.claim_idle_ms / 4000
        reply: Any = await self.redis.xautoclaim(
            self.key, self.group, self.consumer, min_idle_time=self.claim_idle_ms,
            start_id=self._autoclaim_cursor, count=self.batch_size,
        )
        cursor, claimed = reply[0], reply[1]
        self._autoclaim_cursor = cursor
        self._passes += 1
        if self._passes % 500 == 0:  # every restart leaves a consumer name behind; sweep them now and then
            await self.forget_idle_consumers(max(self.claim_idle_ms, 3_600_000))
        handled = 0
        for entry_id, fields in claimed:
            await self._handle(entry_id, fields, attempt=await self._deliveries(entry_id))
            handled += 1
        return handled

    async def _retry_own(self) -> int:
        # This consumer's own pending entries exist only after a failure or a BUSY skip (counted in
        # _own_pending), or from before a restart under the same name (the first pass looks).
        if not self._own_pending and self._looked_own:
            return 0
        self._looked_own = True
        pending = await self.redis.xpending_range(
            self.key, self.group, min="-", max="+", count=self.batch_size, consumername=self.consumer,
        )
        self._own_pending = len(pending)
        handled = 0
        for p in pending:
            attempts = int(p["times_delivered"])
            wait = self.backoff_ms(attempts)
            if int(p["time_since_delivered"]) < wait:
                continue
            claimed: Any = await self.redis.xclaim(self.key, self.group, self.consumer, min_idle_time=wait,
                                              message_ids=[p["message_id"]])
            if not claimed:
                continue  # another consumer took it first, or it was trimmed
            entry_id, fields = claimed[0]
            await self._handle(entry_id, fields, attempt=attempts + 1)
            handled += 1
        return handled

    async def _deliveries(self, entry_id: str) -> int:
        rows = await self.redis.xpending_range(self.key, self.group, min=entry_id, max=entry_id, count=1)
        return int(rows[0]["times_delivered"]) if rows else 1

    # -- one entry -----------------------------------------------------------------------------------------

    async def _handle(self, entry_id: str, fields: dict[str, str] | None, *, attempt: int) -> None:
        await self._handle_batch([(entry_id, fields)], attempt=attempt)

    async def _handle_batch(self, entries: list[tuple[str, dict[str, str] | None]], *,
                            attempt: int = 1) -> None:
        """Runs the handler(s) for entries read together; acknowledges the successes in one round trip."""
        acks: list[str] = []
        todo: list[tuple[str, dict[str, str], CloudEvent]] = []
        firsts: set[str] = set()
        repeats: list[tuple[str, str]] = []
        settled: set[str] = set()  # handled before this read
        for entry_id, fields in entries:
            if not fields:  # trimmed away while pending: nothing left to deliver
                acks.append(entry_id)
                continue
            try:
                event = CloudEvent.from_json(fields.get("event", ""))
            except InvalidEvent as e:
                await self._dead_letter(entry_id, fields, f"invalid event: {e}", attempt)
                continue
            if event.id in firsts:  # published twice (a relay retry): settled with the first copy
                repeats.append((entry_id, event.id))
            else:
                firsts.add(event.id)
                todo.append((entry_id, fields, event))
        if self.idempotency is not None and todo:
            claims = await self.idempotency.begin_many([event.id for _, _, event in todo])
            fresh = []
            for item, claim in zip(todo, claims, strict=True):
                if claim is Claim.DONE:
                    acks.append(item[0])
                    settled.add(item[2].id)
                elif claim is Claim.BUSY:
                    self._own_pending += 1  # the same event id is running elsewhere; look again later
                else:
                    fresh.append(item)
            todo = fresh
        done = await self._run(todo, attempt)
        done_ids = {event.id for event in done}
        acks += [entry_id for entry_id, _, event in todo if event.id in done_ids]
        for entry_id, event_id in repeats:
            if event_id in done_ids or event_id in settled:
                acks.append(entry_id)
            else:
                self._own_pending += 1  # retried with (or after) the first copy
        if not acks:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            if self.idempotency is not None:
                for event_id in done_ids:
                    self.idempotency.done_in(pipe, event_id)
            pipe.xack(self.key, self.group, *acks)
            await pipe.execute()

    async def _run(self, todo: list[tuple[str, dict[str, str], CloudEvent]],
                   attempt: int) -> list[CloudEvent]:
        """Calls the handler(s); returns the events that succeeded (failures are retried or dead-lettered)."""
        if not todo:
            return []
        if self.batch_handler is not None and len(todo) > 1:
            events = [event for _, _, event in todo]
            try:
                with self._latency.time(), consuming(events, self.stream, self.group):
                    await self.batch_handler(events)
                self._handled[0].inc(len(events))
                return events
            except Exception as e:  # one bad event must not hold back the others: one by one, below
                log.info("consumer %s: batch of %d failed (%r); handling one by one", self.group,
                         len(todo), e)
        if self.concurrency <= 1 or len(todo) <= 1:
            return [event for entry_id, fields, event in todo
                    if await self._call(entry_id, fields, event, attempt)]
        lanes: dict[str, list[tuple[str, dict[str, str], CloudEvent]]] = {}
        for item in todo:
            lanes.setdefault(item[2].subject or item[0], []).append(item)
        slots = asyncio.Semaphore(self.concurrency)
        done: list[CloudEvent] = []

        async def lane(items: list[tuple[str, dict[str, str], CloudEvent]]) -> None:
            async with slots:
                for entry_id, fields, event in items:
                    if await self._call(entry_id, fields, event, attempt):
                        done.append(event)

        await asyncio.gather(*(lane(items) for items in lanes.values()))
        return done

    async def _call(self, entry_id: str, fields: dict[str, str], event: CloudEvent, attempt: int) -> bool:
        try:
            with self._latency.time(), consuming((event,), self.stream, self.group):
                await self.handler(event)
                log.debug("consumer %s: %s %s handled", self.group, event.type, event.id)
            self._handled[0].inc()
            return True
        except Exception as e:
            if self.idempotency is not None:
                await self.idempotency.failed(event.id)
            dead = isinstance(e, DropEvent) or attempt >= self.max_attempts
            self._handled[2 if dead else 1].inc()
            if dead:
                log.error("consumer %s: %s %s failed %d times, dead-lettered", self.group, event.type,
                          event.id, attempt, exc_info=e)
                await self._dead_letter(entry_id, fields, f"{type(e).__name__}: {e}"[:500], attempt)
            else:
                log.warning("consumer %s: %s %s failed (attempt %d/%d): %s", self.group, event.type,
                            event.id, attempt, self.max_attempts, e)
                self._own_pending += 1
            return False

    async def _dead_letter(self, entry_id: str, fields: dict[str, str], error: str, attempts: int) -> None:
        record = {
            **fields, "error": error, "attempts": str(attempts), "group": self.group,
            "stream": self.stream, "entry_id": entry_id, "failed_at": datetime.now(UTC).isoformat(),
        }
        # Added and acknowledged atomically: an entry is never both lost and dead-lettered twice.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self.dead_letter_key, record)  # type: ignore[arg-type]
            pipe.xack(self.key, self.group, entry_id)
            await pipe.execute()
