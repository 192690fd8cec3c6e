"""The dev stack seeds demo cartridge lots with a published key; other environments never accept it.

Also: two measurement apps in one process (what the e2e stack and a module's own app do) keep working.
"""

from __future__ import annotations

from libs.config import Settings
from libs.testing import running_app
from libs.testing.graphql import error_codes
from subgraphs.measurement import sun
from subgraphs.measurement.app import create_app
from subgraphs.measurement.demo import DEMO_KEY
from tests.subgraphs.measurement.conftest import User


async def test_dev_accepts_a_demo_cartridge_and_apps_can_nest(settings: Settings, new_user) -> None:
    outer = new_user()  # served by this module's app (env test), started first
    before = await outer.record(type="HEART_RATE", value=61, unit="/min")
    assert "errors" not in before

    dev = settings.model_copy(update={"env": "dev", "db_suffix": settings.db_suffix + "_dev"})
    async with running_app(create_app(dev)) as base:
        u = User(settings, base + "/graphql")
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

    # The dev app stopped and closed its client; the module's app is bound to its own database again.
    after = await outer.record(type="HEART_RATE", value=62, unit="/min")
    assert "errors" not in after, after
    latest = await outer.entities("measurements(type: HEART_RATE, first: 5) { edges { node { value } } }")
    assert [e["node"]["value"] for e in latest["data"]["_entities"][0]["measurements"]["edges"]] == [
        62.0,
        61.0,
    ]
    # ... and the test environment still knows no demo lot.
    assert error_codes(await outer.gql('query { cartridgeLot(lot: "DEMO-GLU-001") { lot } }')) == [
        "NOT_FOUND"
    ]
