"""The indexes that keep history, summaries, idempotency and single use correct and fast exist."""

from __future__ import annotations

from pymongo import AsyncMongoClient

from tests.subgraphs.measurement.conftest import database


async def test_indexes_exist(url, msettings) -> None:
    client: AsyncMongoClient = AsyncMongoClient(msettings.mongodb_url, tz_aware=True)
    try:
        db = client[database(msettings)]
        measurements = await db["measurements"].index_information()
        uses = await db["cartridge_uses"].index_information()
        devices = await db["devices"].index_information()
    finally:
        await client.close()

    def keys(info: dict) -> dict[tuple, bool]:
        return {tuple(k for k, _ in i["key"]): bool(i.get("unique")) for i in info.values()}

    assert keys(measurements)[("user_id", "type", "taken_at", "client_id")] is False
    assert keys(measurements)[("user_id", "client_id")] is True
    assert ("pending_event_id",) in keys(measurements)
    assert keys(uses)[("uid",)] is True
    assert keys(devices)[("serial",)] is True
