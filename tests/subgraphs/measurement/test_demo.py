"""The dev stack seeds demo cartridge lots with a published key; other environments never accept it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from libs.config import Settings
from libs.testing import running_app
from subgraphs.measurement import sun
from subgraphs.measurement.app import create_app
from subgraphs.measurement.demo import DEMO_KEY
from tests.subgraphs.measurement.conftest import User


@pytest.fixture(scope="module")
async def dev_url(settings: Settings) -> AsyncIterator[str]:
    dev = settings.model_copy(update={"env": "dev", "db_suffix": settings.db_suffix + "_dev"})
    async with running_app(create_app(dev)) as base:
        yield base + "/graphql"


async def test_dev_accepts_a_demo_cartridge(settings, dev_url) -> None:
    u = User(settings, dev_url)
    device = (await u.gql('mutation { registerDevice(input: {serial: "MPK-DEMO-1"}) { id } }'))["data"]
    reading = {
        "type": "BLOOD_GLUCOSE",
        "value": 101,
        "unit": "mg/dL",
        "source": "CARTRIDGE",
        "deviceId": device["registerDevice"]["id"],
        "cartridge": {
            "uid": "04A1B2C3D4E5F6",
            "lot": "DEMO-GLU-001",
            "authMessage": sun.encode(DEMO_KEY, "04A1B2C3D4E5F6", 1),
        },
    }
    r = await u.record(**reading)
    assert r["data"]["recordMeasurement"]["cartridgeLot"] == "DEMO-GLU-001", r
