"""Key rotation keeps old data readable and re-encrypts it in the background; erasing an account removes the
person's health data everywhere it is held while the audit log stays and the integrity check still passes."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from sqlalchemy import text

from libs.events import EventPublisher
from libs.events.streams import AUTH_STREAM
from libs.testing.graphql import error_codes
from subgraphs.auth.events import deletion_requested
from subgraphs.measurement.settings import MeasurementSettings
from tests.subgraphs.data.conftest import Stack, eventually, new_user
from tests.subgraphs.data.test_exports_and_access import MY_EXPORTS, MY_LOG, chained_all, ready_export, rep
from tests.subgraphs.data.test_integrity import run_check

ROTATE = "mutation { rotateEncryptionKey { id version activatedAt } }"


async def download(stack: Stack, export: dict[str, Any]) -> bytes:
    from urllib.parse import urlsplit

    import httpx

    split = urlsplit(export["downloadUrl"])
    async with httpx.AsyncClient() as http:
        response = await http.get(stack.data_url.removesuffix("/graphql") + split.path + "?" + split.query)
    assert response.status_code == 200, response.text
    return response.content


async def versions(stack: Stack) -> dict[str, Any]:
    async with stack.data.engine.connect() as conn:
        keys = dict((await conn.execute(text("SELECT version, status FROM data_encryption_keys"))).all())
        used = set(
            (
                await conn.execute(
                    text(
                        "SELECT DISTINCT key_version FROM data_blocks WHERE key_version IS NOT NULL UNION "
                        "SELECT DISTINCT key_version FROM data_exports WHERE key_version IS NOT NULL"
                    )
                )
            ).scalars()
        )
    return {"keys": keys, "used": used}


async def test_rotation_keeps_old_data_readable_and_rewraps_it(stack: Stack) -> None:
    owner = new_user()
    await stack.record(owner, value=101.0)
    await eventually(lambda: chained_all(stack, owner, 1))
    export = await ready_export(stack, owner, "CSV")
    before = await download(stack, export)
    old = await versions(stack)
    assert error_codes(await stack.as_user(new_user(), ROTATE, roles=("SUPPORT",))) == ["FORBIDDEN"]

    rotated = await stack.as_user(new_user(), ROTATE, roles=("ADMIN",))
    assert "errors" not in rotated, rotated
    version = rotated["data"]["rotateEncryptionKey"]["version"]
    assert version == max(old["keys"]) + 1
    # Old data reads at once (its key is still held), new data goes under the new key.
    assert await download(stack, export) == before
    await stack.record(owner, value=102.0)
    await eventually(lambda: chained_all(stack, owner, 2))

    async def rewrapped() -> dict[str, Any] | None:
        now = await versions(stack)
        return (
            now
            if now["used"] == {version}
            and all(s == "DESTROYED" for v, s in now["keys"].items() if v != version)
            else None
        )

    done = await eventually(rewrapped, wait_s=30)
    assert done["keys"][version] == "ACTIVE"
    async with stack.data.engine.connect() as conn:
        wrapped = await conn.scalar(
            text("SELECT count(*) FROM data_encryption_keys WHERE wrapped IS NOT NULL")
        )
    assert wrapped == 1  # destroyed keys are gone, only the active one is stored (wrapped)
    assert await download(stack, export) == before
    assert (await run_check(stack))["ok"] is True  # re-encryption leaves the chain as it was


async def test_an_erased_users_data_is_gone_and_the_integrity_check_still_passes(stack: Stack) -> None:
    user, other = new_user(), new_user()
    for v in (110.0, 120.0):
        await stack.record(user, value=v)
    await stack.record(other, value=90.0)
    await eventually(lambda: chained_all(stack, user, 2))
    await eventually(lambda: chained_all(stack, other, 1))
    await ready_export(stack, user, "FHIR_JSON")

    await EventPublisher(stack.data.redis, stack.settings).publish(AUTH_STREAM, deletion_requested(user))

    mongo: AsyncMongoClient[Any] = AsyncMongoClient(stack.settings.mongodb_url)
    db = mongo[stack.settings.database_name(MeasurementSettings().database)]
    try:

        async def erased() -> bool | None:
            left = await db["measurements"].count_documents({"user_id": user})
            async with stack.data.engine.connect() as conn:
                readable = await conn.scalar(
                    text("SELECT count(*) FROM data_blocks WHERE user_id = :u AND payload IS NOT NULL"),
                    {"u": user},
                )
                exports = await conn.scalar(
                    text("SELECT count(*) FROM data_exports WHERE user_id = :u"), {"u": user}
                )
            return True if (left, readable, exports) == (0, 0, 0) else None

        await eventually(erased)
        assert await db["measurements"].count_documents({"user_id": other}) == 1
    finally:
        await mongo.close()
    async with stack.data.engine.connect() as conn:
        blocks = await conn.scalar(
            text("SELECT count(*) FROM data_blocks WHERE user_id = :u AND erased_at IS NOT NULL"), {"u": user}
        )
    assert blocks == 2  # the chain keeps the blocks (digests, no content)
    assert (await stack.as_user(user, MY_EXPORTS, rep(user)))["data"]["_entities"][0]["dataExports"] == []
    log = await stack.as_user(user, MY_LOG, {**rep(user), "first": 10})
    actions = [e["node"]["action"] for e in log["data"]["_entities"][0]["accessLog"]["edges"]]
    assert actions[0] == "ERASE" and "EXPORT" in actions  # what the law keeps stays
    assert (await run_check(stack))["ok"] is True
