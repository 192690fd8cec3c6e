"""The data subgraph beside a real measurement subgraph, both with their workers, on their own databases and
Redis key space (so no other suite's workers take their events). Tests talk GraphQL to both and read the
stores directly to see what is really stored."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from libs.auth.tokens import issue_access_token
from libs.config import Settings
from libs.db.sql import drop_database
from libs.testing import running_app
from libs.testing.graphql import gql
from manpasik.registry import SUBGRAPHS
from subgraphs.data.app import create_app as create_data_app
from subgraphs.data.resources import DataResources
from subgraphs.data.settings import DataSettings
from subgraphs.measurement.app import create_app as create_measurement_app
from subgraphs.measurement.settings import MeasurementSettings

T = TypeVar("T")

RECORD = """mutation($input: RecordMeasurementInput!) {
  recordMeasurement(input: $input) { id type value unit takenAt } }"""


@pytest.fixture(scope="session")
async def psettings(settings: Settings) -> AsyncIterator[Settings]:
    own = settings.model_copy(
        update={"redis_prefix": settings.redis_prefix + "dp:", "db_suffix": settings.db_suffix + "_dp"}
    )
    yield own
    for suffix in ("", RESTORED):  # our databases, and those a restore test made (the session drops its own)
        for row in SUBGRAPHS:
            if row.sql:
                await drop_database(
                    own.model_copy(update={"db_suffix": own.db_suffix + suffix}).sql_url(row.own().database)
                )


RESTORED = "_r"


@pytest.fixture(scope="session")
def data_own(tmp_path_factory: pytest.TempPathFactory, psettings: Settings) -> DataSettings:
    return DataSettings(
        backup_dir=Path(tmp_path_factory.mktemp("backups")),
        record_streams="measurement,consultation",
        integrity_domains="measurement",  # no video subgraph here: tests/subgraphs/video/test_protection.py
        backup_sql="data:mps_data",
        backup_mongo="measurement:manpasik_measurements",
    )


@dataclass
class Stack:
    settings: Settings
    data_url: str
    measurement_url: str
    data: DataResources

    def token(self, user_id: str, *roles: str) -> str:
        return issue_access_token(self.settings, user_id, list(roles or ("USER",)), secrets.token_hex(8))[0]

    async def as_user(
        self,
        user_id: str,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        roles: tuple[str, ...] = ("USER",),
        url: str | None = None,
    ) -> dict[str, Any]:
        return await gql(url or self.data_url, query, variables, token=self.token(user_id, *roles))

    async def record(
        self,
        user_id: str,
        value: float | None = 98.0,
        type_: str = "BLOOD_GLUCOSE",
        unit: str = "mg/dL",
        **extra: Any,
    ) -> dict[str, Any]:
        taken = datetime.now(UTC).isoformat()
        given = {
            "type": type_,
            "value": value,
            "unit": unit,
            "takenAt": taken,
            "source": "MANUAL",
            "clientId": uuid.uuid4().hex,
            **extra,
        }
        result = await self.as_user(
            user_id,
            RECORD,
            {"input": {k: v for k, v in given.items() if v is not None}},
            url=self.measurement_url,
        )
        assert "errors" not in result, result
        return dict(result["data"]["recordMeasurement"])


@pytest.fixture(scope="module")
async def stack(psettings: Settings, data_own: DataSettings) -> AsyncIterator[Stack]:
    # One measurement app per module (Beanie binds its documents to one client per process).
    m_own = MeasurementSettings(relay_interval_s=0.2, relay_grace_s=0.3)
    data_app = create_data_app(psettings, data_own)
    async with (
        running_app(create_measurement_app(psettings, m_own)) as m_base,
        running_app(data_app) as d_base,
    ):
        yield Stack(psettings, d_base + "/graphql", m_base + "/graphql", data_app.state.resources)


async def eventually(probe: Callable[[], Awaitable[T | None]], wait_s: float = 20.0) -> T:
    """The probe's first truthy answer, polling (the workers run beside the test)."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        found = await probe()
        if found is not None and found is not False:  # 0 is an answer (the first block's number)
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.1)


def new_user() -> str:
    return uuid.uuid4().hex
