"""Session fixtures: real PostgreSQL and Redis of the test machine, an nx-27017 MongoDB wire server.

Each run is isolated: its own database-name suffix, Redis key prefix and Mongo data folder, all removed at
the end. Point TEST_DATABASE_URL / TEST_REDIS_URL elsewhere to use other servers.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from libs.config import Settings
from libs.db.sql import drop_database
from libs.testing import MongoServer
from libs.testing.graphql import ROUTER_SECRET
from manpasik.registry import SUBGRAPHS

RUN_ID = secrets.token_hex(4)


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MongoServer]:
    with MongoServer(Path(tmp_path_factory.mktemp("mongo"))) as server:
        yield server


@pytest.fixture(scope="session")
async def settings(
    mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Settings]:
    s = Settings(
        MANPASIK_ENV="test",
        DATABASE_URL=os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432"),
        MONGODB_URL=mongo_server.url,
        REDIS_URL=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        DB_SUFFIX=f"_t{RUN_ID}",
        REDIS_PREFIX=f"test:{RUN_ID}:",
        JWT_SECRET=secrets.token_urlsafe(48),
        ROUTER_SUBGRAPH_SECRET=ROUTER_SECRET,  # tests that stand in for the router sign with it
        DATA_DIR=str(tmp_path_factory.mktemp("data")),
        LOG_JSON=False,
        LOG_LEVEL="WARNING",
    )
    yield s
    for row in SUBGRAPHS:  # each SQL subgraph's own database, named by its settings
        if row.sql:
            await drop_database(s.sql_url(row.own().database))
    client = Redis.from_url(s.redis_url)
    async for key in client.scan_iter(match=s.redis_prefix + "*", count=1000):
        await client.delete(key)
    await client.aclose()


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client: Redis = Redis.from_url(settings.redis_url, decode_responses=True)
    yield client
    await client.aclose()
