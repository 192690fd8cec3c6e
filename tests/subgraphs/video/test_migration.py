"""Migration 7c1f0e2b9a41 on a database holding rows from before encryption (PostgreSQL and SQLite): they stay
readable, the re-encryption pass seals them, issued prescriptions stay immutable in everything but how their
content is stored, and concurrent first writers make one data key."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.config import Settings, SettingsError
from libs.crypto import DataKeys
from libs.db.migrations import upgrade
from libs.db.sql import create_engine, drop_database, ensure_database, session_factory
from libs.db.uow import Transactions
from subgraphs.video.repository import VideoRepository
from subgraphs.video.resources import MIGRATIONS
from subgraphs.video.sealing import PrescriptionContent, Sealer
from subgraphs.video.settings import VideoSettings

BEFORE_ENCRYPTION = "1ee30e17226f"
AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
MEDS = [{"name": "Amlodipine", "dosage": "5 mg", "frequency": "1x daily", "durationDays": 90}]


@asynccontextmanager
async def database(url: str) -> AsyncIterator[AsyncEngine]:
    await ensure_database(url)
    engine = create_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
        await drop_database(url)


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'video.db'}"
    return settings.sql_url(f"mps_video_mig_{uuid.uuid4().hex[:8]}")


async def test_rows_from_before_encryption_stay_readable_and_get_sealed(url: str) -> None:
    async with database(url) as engine:
        await upgrade(engine, MIGRATIONS, BEFORE_ENCRYPTION)
        rx, msg = str(uuid.uuid4()), str(uuid.uuid4())
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO video_prescriptions (id, consultation_id, patient_id, doctor_id, version, "
                "medications, notes, issued_at) VALUES (:id, 'c1', 'p1', 'd1', 1, :m, '식후', :at)"),
                {"id": rx, "m": json.dumps(MEDS), "at": AT})
            await conn.execute(text(
                "INSERT INTO video_messages (id, consultation_id, sender_id, body, sent_at) "
                "VALUES (:id, 'c1', 'p1', '두통이 있어요', :at)"), {"id": msg, "at": AT})
        await upgrade(engine, MIGRATIONS)

        db = Transactions(session_factory(engine), VideoRepository)
        sealer = Sealer(DataKeys(VideoSettings().keks()), db)

        async def read() -> tuple[PrescriptionContent, str]:
            async with db.read() as repo:
                p, m = await repo.prescription(rx), await repo.message(msg)
                assert p is not None and m is not None
                return await sealer.prescription(p), await sealer.message_body(m)

        assert await read() == (PrescriptionContent(MEDS, "식후"), "두통이 있어요")
        async with db.write() as repo:
            assert await sealer.reseal_once(repo) == 2
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT medications, notes, sealed FROM video_prescriptions"))
                   ).one()
            body = (await conn.execute(text("SELECT body, sealed FROM video_messages"))).one()
        assert row.medications is None and row.notes is None and b"Amlodipine" not in row.sealed
        assert body.body is None and "두통".encode() not in body.sealed
        assert await read() == (PrescriptionContent(MEDS, "식후"), "두통이 있어요")

        # Still immutable: any change but re-sealing is refused by the database itself.
        for change in ("notes = 'changed'", "patient_id = 'someone-else'", "version = 2",
                       "medications = '[]'", "sealed = NULL"):
            with pytest.raises(DBAPIError, match="immutable"):
                async with engine.begin() as conn:
                    await conn.execute(text(f"UPDATE video_prescriptions SET {change}"))


async def test_concurrent_first_writers_make_one_data_key(settings: Settings) -> None:
    async with database(settings.sql_url(f"mps_video_mig_{uuid.uuid4().hex[:8]}")) as engine:
        await upgrade(engine, MIGRATIONS)
        db = Transactions(session_factory(engine), VideoRepository)
        keks = VideoSettings().keks()

        async def write() -> int | None:
            sealer = Sealer(DataKeys(keks), db)  # each as a process of its own
            async with db.write() as repo:
                await sealer.prepare(repo)
                await asyncio.sleep(0.05)  # hold the transaction open while the others arrive
            return sealer.keys.active

        actives = await asyncio.gather(*(write() for _ in range(5)))
        assert set(actives) == {1}
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM video_encryption_keys"))).scalar() == 1


def test_prod_refuses_the_dev_kek_and_a_malformed_one_is_refused_everywhere() -> None:
    secret = "s" * 48
    with pytest.raises(SettingsError, match="VIDEO_KEK"):
        VideoSettings(livekit_api_secret=secret).refuse_unsafe("prod")
    VideoSettings(livekit_api_secret=secret).refuse_unsafe("dev")  # fine outside prod
    own_kek = "kek-1:" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="  # base64 of 32 bytes
    VideoSettings(livekit_api_secret=secret, kek=own_kek).refuse_unsafe("prod")
    with pytest.raises(ValueError, match="VIDEO_KEK"):  # pydantic's ValidationError, at load time
        VideoSettings(kek="kek-1:c2hvcnQ=")  # 5 bytes: not an AES-256 key
    assert "kek" not in repr(VideoSettings())  # never in logs
