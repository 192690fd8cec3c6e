"""`manpasik worker <name>`: a subgraph's workers as their own process (consume, stop on SIGTERM)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from redis.asyncio import Redis

from libs.config import Settings
from libs.events import CloudEvent, EventPublisher
from libs.events.streams import (
    COACHING_INSIGHT_CREATED,
    COACHING_STREAM,
    MEASUREMENT_STREAM,
    NOTIFICATION_CREATED,
    NOTIFICATION_STREAM,
    stream_key,
)
from tests.subgraphs.coaching.conftest import measurement_event, new_user
from tests.subgraphs.notification.conftest import insight_event

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["coaching", "notification"])
async def test_worker_process_handles_an_event_and_stops_on_sigterm(
    name: str, settings: Settings, redis: Redis,
) -> None:
    # A key space of its own: no other suite's workers take this event, nor this process theirs.
    prefix = settings.redis_prefix + f"cliworker-{name}:"
    ours = settings.model_copy(update={"redis_prefix": prefix})
    user = new_user()
    # In: what the worker consumes; out: the stream its result is published on.
    if name == "coaching":
        event, source, out, out_type = (measurement_event(user, value=260, context="FASTING"),
                                        MEASUREMENT_STREAM, COACHING_STREAM, COACHING_INSIGHT_CREATED)
    else:
        event, source, out, out_type = (insight_event(user), COACHING_STREAM, NOTIFICATION_STREAM,
                                        NOTIFICATION_CREATED)
    await EventPublisher(redis, ours).publish(source, event)  # before the group exists: kept

    env = dict(os.environ)
    env.update(MANPASIK_ENV="test", DATABASE_URL=str(settings.database_url), DB_SUFFIX=settings.db_suffix,
               REDIS_URL=settings.redis_url, REDIS_PREFIX=prefix, JWT_SECRET=settings.jwt_secret,
               DATA_DIR=str(settings.data_dir), LOG_JSON="false", LOG_LEVEL="WARNING")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "manpasik", "worker", name, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        key = stream_key(ours, out)
        published: list[CloudEvent] = []
        for _ in range(300):  # the result is on its stream: consumed, committed, published
            published = [CloudEvent.from_json(f["event"]) for _, f in await redis.xrange(key)]
            if published or proc.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert proc.returncode is None, (await proc.communicate())[0]
        [result] = published
        assert result.type == out_type and result.data["userId"] == user
        proc.send_signal(signal.SIGTERM)
        output = (await asyncio.wait_for(proc.communicate(), 20))[0].decode()
        assert proc.returncode == 0, output
        assert f"{name} workers stopped" in output
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
