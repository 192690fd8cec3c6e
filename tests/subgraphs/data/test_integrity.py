"""Tamper evidence end to end: measurements recorded through the measurement subgraph are chained by the
data subgraph; an admin's integrity check passes, and finds a record edited directly in MongoDB."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient
from sqlalchemy import text

from libs.testing.graphql import error_codes
from subgraphs.measurement.settings import MeasurementSettings
from tests.subgraphs.data.conftest import Stack, eventually, new_user

RUN = "mutation { runIntegrityCheck { id startedAt } }"
CHECKS = """query($first: Int!) { integrityChecks(first: $first) {
  id startedAt finishedAt blocksChecked ok firstBadBlockId problems recordsChecked } }"""


async def chained(stack: Stack, measurement_id: str) -> int | None:
    async with stack.data.engine.connect() as conn:
        return await conn.scalar(
            text("SELECT seq FROM data_blocks WHERE record_id = :r"), {"r": measurement_id}
        )


async def run_check(stack: Stack) -> dict[str, Any]:
    admin = new_user()
    started = await stack.as_user(admin, RUN, roles=("ADMIN",))
    assert "errors" not in started, started
    check_id = started["data"]["runIntegrityCheck"]["id"]

    async def finished() -> dict[str, Any] | None:
        result = await stack.as_user(admin, CHECKS, {"first": 20}, roles=("ADMIN",))
        found = [c for c in result["data"]["integrityChecks"] if c["id"] == check_id]
        return found[0] if found and found[0]["finishedAt"] else None

    return await eventually(finished)


async def test_a_record_edited_in_its_store_is_found_by_the_integrity_check(stack: Stack) -> None:
    user = new_user()
    recorded = [await stack.record(user, value=v) for v in (91.0, 104.0, 250.0)]
    seqs = [await eventually(lambda m=m: chained(stack, m["id"])) for m in recorded]

    clean = await run_check(stack)
    assert clean["ok"] is True, clean
    assert clean["firstBadBlockId"] is None
    assert clean["recordsChecked"] >= 3 and clean["blocksChecked"] >= 3

    # Someone with database access changes a reading: nothing in the API is involved.
    mongo: AsyncMongoClient[Any] = AsyncMongoClient(stack.settings.mongodb_url)
    try:
        db = mongo[stack.settings.database_name(MeasurementSettings().database)]
        changed = await db["measurements"].update_one(
            {"_id": ObjectId(recorded[1]["id"])}, {"$set": {"value": 99.0}}
        )
        assert changed.modified_count == 1
        found = await run_check(stack)
        assert found["ok"] is False
        assert found["firstBadBlockId"] == f"records:{seqs[1]}"
        assert any(recorded[1]["id"] in p for p in found["problems"]), found["problems"]

        # Deleting a record from the store is found too.
        await db["measurements"].update_one({"_id": ObjectId(recorded[1]["id"])}, {"$set": {"value": 104.0}})
        doc = await db["measurements"].find_one({"_id": ObjectId(recorded[2]["id"])})
        await db["measurements"].delete_one({"_id": ObjectId(recorded[2]["id"])})
        missing = await run_check(stack)
        assert missing["ok"] is False
        assert missing["firstBadBlockId"] == f"records:{seqs[2]}"

        await db["measurements"].insert_one(doc)  # as it was: the store verifies again
        assert (await run_check(stack))["ok"] is True
    finally:
        await mongo.close()


async def test_an_edited_chain_block_is_found(stack: Stack) -> None:
    user = new_user()
    m = await stack.record(user, value=120.0)
    seq = await eventually(lambda: chained(stack, m["id"]))
    async with stack.data.engine.begin() as conn:
        original = await conn.scalar(text("SELECT digest FROM data_blocks WHERE seq = :s"), {"s": seq})
        await conn.execute(
            text("UPDATE data_blocks SET digest = :d WHERE seq = :s"), {"d": "0" * 64, "s": seq}
        )
    try:
        found = await run_check(stack)
        assert found["ok"] is False
        assert found["firstBadBlockId"] == f"records:{seq}"
    finally:
        async with stack.data.engine.begin() as conn:
            await conn.execute(
                text("UPDATE data_blocks SET digest = :d WHERE seq = :s"), {"d": original, "s": seq}
            )
    assert (await run_check(stack))["ok"] is True


async def test_integrity_operations_are_admin_only(stack: Stack) -> None:
    for roles in (("USER",), ("SUPPORT",), ("DOCTOR",)):
        assert error_codes(await stack.as_user(new_user(), RUN, roles=roles)) == ["FORBIDDEN"]
        assert error_codes(await stack.as_user(new_user(), CHECKS, {"first": 5}, roles=roles)) == [
            "FORBIDDEN"
        ]
    from libs.testing.graphql import gql

    assert error_codes(await gql(stack.data_url, RUN)) == ["UNAUTHENTICATED"]
