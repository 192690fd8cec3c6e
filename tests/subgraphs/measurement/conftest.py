"""Fixtures of the measurement subgraph tests: one app per module on a free port, tokens per test user."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from libs.auth.tokens import issue_access_token
from libs.config import Settings
from libs.testing import running_app
from libs.testing.graphql import gql
from subgraphs.measurement.app import create_app
from subgraphs.measurement.settings import MeasurementSettings
from tests.subgraphs.measurement.tcp_proxy import TcpProxy

LOT = "GLU-TEST-01"
LOT_KEY = "000102030405060708090a0b0c0d0e0f"
OLD_LOT = "GLU-OLD-01"
OLD_LOT_KEY = "f0e0d0c0b0a090807060504030201000"
ANCIENT_LOT = "GLU-ANCIENT-01"

RECORD = """
mutation($input: RecordMeasurementInput!) {
  recordMeasurement(input: $input) {
    id type value unit takenAt source context clientId loinc enteredValue enteredUnit deviceId cartridgeLot
    components { code loinc value unit }
  }
}"""


@pytest.fixture(scope="module")
def msettings(settings: Settings) -> Settings:
    # Its own database: the e2e stack's measurement app (same process, same settings) has its own relay.
    return settings.model_copy(update={"db_suffix": settings.db_suffix + "_m"})


def database(settings: Settings) -> str:
    """The measurement subgraph's Mongo database under these settings (with their DB_SUFFIX)."""
    return settings.database_name(MeasurementSettings().database)


@pytest.fixture(scope="module")
async def events_proxy(msettings: Settings) -> AsyncIterator[TcpProxy]:
    """The event bus is reached through a switchable proxy, so a test can take Redis away from the app."""
    target = urlsplit(msettings.redis_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest.fixture(scope="module")
async def url(msettings: Settings, events_proxy: TcpProxy) -> AsyncIterator[str]:
    # One app per module: Beanie binds its document classes to one client per process, so two measurement
    # apps must not overlap in one process.
    db = urlsplit(msettings.redis_url).path or "/0"
    own = MeasurementSettings(
        cartridge_sun_keys=f"{LOT}:{LOT_KEY}, {OLD_LOT}:{OLD_LOT_KEY},{ANCIENT_LOT}:{OLD_LOT_KEY}",
        relay_interval_s=0.2,
        relay_grace_s=0.3,
        events_redis_url=f"redis://127.0.0.1:{events_proxy.port}{db}",
    )
    app = create_app(msettings, own)
    async with running_app(app) as base:
        yield base + "/graphql"


class User:
    def __init__(self, settings: Settings, url: str, roles: tuple[str, ...] = ("USER",)) -> None:
        self.id = uuid.uuid4().hex
        self.url = url
        self.token = issue_access_token(settings, self.id, list(roles), uuid.uuid4().hex)[0]

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await gql(self.url, query, variables, token=self.token)

    async def record(self, **input_: Any) -> dict[str, Any]:
        return await self.gql(RECORD, {"input": input_})

    async def entities(self, query: str, user_id: str | None = None) -> dict[str, Any]:
        return await self.gql(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { " + query + " } } }",
            {"r": [{"__typename": "User", "id": user_id or self.id}]},
        )


@pytest.fixture
def new_user(msettings: Settings, url: str) -> Callable[..., User]:
    return lambda roles=("USER",): User(msettings, url, roles)
