"""`manpasik worker <name>`: a subgraph's workers as their own process (consume, stop on SIGTERM)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from redis.asyncio import Redis

from libs.config import Settings
from libs.events import CloudEvent, EventPublisher
from libs.events.streams import COACHING_INSIGHT_CREATED, COACHING_STREAM, MEASUREMENT_STREAM, stream_key
from tests.subgraphs.coaching.conftest import measurement_event, new_user

ROOT = Path(__file__).resolve().parents[2]


async def test_coaching_worker_process_handles_an_event_and_stops_on_sigterm(
    settings: Settings, redis: Redis,
) -> None:
    # A key space of its own: no other suite's workers take this event, nor this process theirs.
    prefix = settings.redis_prefix + "cliworker:"
    ours = settings.model_copy(update={"redis_prefix": prefix})
    user = new_user()
    event = measurement_event(user, value=260, context="FASTING")
    await EventPublisher(redis, ours).publish(MEASUREMENT_STREAM, event)  # before the group exists: kept

    env = {k: v for k, v in os.environ.items() if k not in ("COACHING_WORKERS",)}
    env.update(MANPASIK_ENV="test", DATABASE_URL=str(settings.database_url), DB_SUFFIX=settings.db_suffix,
               REDIS_URL=settings.redis_url, REDIS_PREFIX=prefix, JWT_SECRET=settings.jwt_secret,
               DATA_DIR=str(settings.data_dir), LOG_JSON="false", LOG_LEVEL="WARNING")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "libs.cli", "worker", "coaching", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        key = stream_key(ours, COACHING_STREAM)
        published: list[CloudEvent] = []
        for _ in range(300):  # the insight's event is on the coaching stream: consumed, committed, relayed
            published = [CloudEvent.from_json(f["event"]) for _, f in await redis.xrange(key)]
            if published or proc.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert proc.returncode is None, (await proc.communicate())[0]
        [insight] = published
        assert insight.type == COACHING_INSIGHT_CREATED and insight.data["userId"] == user
        assert insight.data["measurementId"] == event.data["measurementId"]
        proc.send_signal(signal.SIGTERM)
        out = (await asyncio.wait_for(proc.communicate(), 20))[0].decode()
        assert proc.returncode == 0, out
        assert "coaching workers stopped" in out
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
