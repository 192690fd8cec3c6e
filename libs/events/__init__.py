"""Domain events between subgraphs: CloudEvents 1.0 (JSON) over Redis Streams with consumer groups.

    event = CloudEvent.new("measurement.recorded", "/subgraphs/measurement", subject=m_id, data={...})
    await EventPublisher(redis, settings).publish("measurement", event)  # XADD to redis_key("events", ...)

    consumer = EventConsumer(redis, settings, stream="measurement", group="coaching", handler=on_event)
    await consumer.run(stop)          # or: await consumer.process_once(block_ms=...)
    await consumer.lag()              # stream length, pending, undelivered lag, dead letters

Delivery is at-least-once: an entry is acknowledged only after its handler returned; failures are retried with
exponential backoff and moved to `events:<stream>:dead:<group>` after `max_attempts` (at once for `DropEvent`;
`replay_dead_letters()` puts them back after a fix); dead consumers' entries are reclaimed (XAUTOCLAIM).
`batch_handler` takes all new entries of one read in one call (one transaction), falling back to `handler`
one by one when it raises. `concurrency=N` runs a batch in parallel lanes, one lane per CloudEvent
`subject`, so one user's events keep their order. Handlers run once per event id per group (Redis marker
by default; SQL handlers pass `dedupe=False` and use `ProcessedEventBase` in their own transaction, pruned
with `prune_processed`; `processed_ids` checks a batch).
SQL sources write events through the transactional outbox (`OutboxBase`, `add_to_outbox`, `OutboxRelay`, which
also prunes published rows; `OutboxRelay.publish_now` publishes right after the commit, the relay being the
safety net). `group_lag()` reads a backlog without side effects (for /ready). `LiveHub` fans
live updates out over Redis pub/sub. Stream and event-type names: `libs.events.streams`.
"""

from libs.events.consumer import (
    BatchHandler,
    ConsumerLag,
    DropEvent,
    EventConsumer,
    Handler,
    group_lag,
    lag_checks,
)
from libs.events.envelope import CloudEvent, InvalidEvent
from libs.events.idempotency import (
    Claim,
    ProcessedEventBase,
    RedisIdempotency,
    already_processed,
    processed_ids,
    prune_processed,
    record_processed,
)
from libs.events.live import LiveHub
from libs.events.outbox import OutboxBase, OutboxRelay, add_to_outbox
from libs.events.publisher import EventPublisher

__all__ = [
    "BatchHandler",
    "Claim",
    "CloudEvent",
    "ConsumerLag",
    "DropEvent",
    "EventConsumer",
    "EventPublisher",
    "Handler",
    "InvalidEvent",
    "LiveHub",
    "OutboxBase",
    "OutboxRelay",
    "ProcessedEventBase",
    "RedisIdempotency",
    "add_to_outbox",
    "already_processed",
    "group_lag",
    "lag_checks",
    "processed_ids",
    "prune_processed",
    "record_processed",
]
