"""Beanie documents of the measurement database (`manpasik_measurements`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from beanie import Document
from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, IndexModel


class ComponentDoc(BaseModel):
    code: str
    loinc: str
    value: float
    unit: str


class MeasurementDocument(Document):
    user_id: str
    client_id: str
    type: str
    loinc: str
    source: str
    taken_at: datetime
    recorded_at: datetime
    value: float | None = None
    unit: str | None = None
    components: list[ComponentDoc] = []
    entered_value: float | None = None
    entered_unit: str | None = None
    context: str | None = None
    device_id: str | None = None
    cartridge_uid: str | None = None
    cartridge_lot: str | None = None
    # Outbox marker: the id of the `measurement.recorded` event not yet on the stream. Set in the insert of
    # the measurement, removed once published; the relay republishes whatever still carries it.
    pending_event_id: str | None = None

    class Settings:
        name = "measurements"
        keep_nulls = False  # absent fields stay absent: the sparse outbox index then holds only pending ones
        indexes = [
            # History pages (sorted by taken_at, client_id: the whole sort is in the index, so a page reads
            # `first` entries however long the history), range queries and summaries use this one; erasure,
            # counts and idempotency lookups use its user_id prefix or the next index. client_id, not _id,
            # breaks ties: nx-27017 0.8 fails inserts when `_id` is part of an index key. Queries name
            # user_id and type with `$eq` (repository.py), or nx-27017 cannot use this index at all.
            IndexModel(
                [
                    ("user_id", ASCENDING),
                    ("type", ASCENDING),
                    ("taken_at", DESCENDING),
                    ("client_id", DESCENDING),
                ],
                name="user_type_taken_client",
            ),
            IndexModel(
                [("user_id", ASCENDING), ("client_id", ASCENDING)], unique=True, name="user_client_id"
            ),
            # Sparse, not partial: nx-27017 takes both, but sparse keeps index and query plain everywhere.
            IndexModel([("pending_event_id", ASCENDING)], sparse=True, name="pending_events"),
        ]


class LatestMeasurementDocument(Document):
    """The newest measurement of one type of one user, kept by every write of a measurement (Home reads these
    instead of grouping the history). `_id` is `<user_id>:<type>`; `sort_key` orders like the history."""

    id: str  # type: ignore[assignment]
    user_id: str
    type: str
    sort_key: str
    measurement: dict[str, Any]  # the measurement document as stored in `measurements`, `_id` included

    class Settings:
        name = "measurement_latest"
        indexes = [IndexModel([("user_id", ASCENDING), ("type", ASCENDING)], unique=True, name="user_type")]


class DeviceDocument(Document):
    user_id: str
    serial: str
    model: str | None = None
    name: str | None = None
    registered_at: datetime

    class Settings:
        name = "devices"
        keep_nulls = False
        indexes = [
            IndexModel([("serial", ASCENDING)], unique=True, name="serial"),
            IndexModel([("user_id", ASCENDING)], name="user"),
        ]


class CartridgeLotDocument(Document):
    lot: str
    type: str
    expires_at: datetime
    calibration: list[float] = []
    created_at: datetime
    method: str | None = None  # AssayMethod; absent on lots registered before methods existed

    class Settings:
        name = "cartridge_lots"
        indexes = [IndexModel([("lot", ASCENDING)], unique=True, name="lot")]


class CartridgeUseDocument(Document):
    """One per physical cartridge: the unique uid index is what makes a cartridge single-use, atomically."""

    uid: str
    lot: str
    counter: int
    user_id: str
    client_id: str = ""
    measurement_id: str
    used_at: datetime

    class Settings:
        name = "cartridge_uses"
        indexes = [IndexModel([("uid", ASCENDING)], unique=True, name="uid")]


class DataMigrationDocument(Document):
    """One per data migration applied to this database (`data_migrations.py`): startup skips those done."""

    name: str
    applied_at: datetime
    changed: int = 0

    class Settings:
        name = "data_migrations"
        indexes = [IndexModel([("name", ASCENDING)], unique=True, name="name")]


class GrantDocument(Document):
    """A patient's consent that a consultation's doctor reads their measurements (`grants.py`)."""

    consultation_id: str
    patient_id: str
    doctor_id: str
    since: datetime
    window_start: datetime
    window_end: datetime
    closed_at: datetime | None = None

    class Settings:
        name = "measurement_grants"
        indexes = [
            IndexModel([("consultation_id", ASCENDING)], unique=True, name="consultation"),
            IndexModel([("doctor_id", ASCENDING), ("patient_id", ASCENDING)], name="doctor_patient"),
        ]


class AccessLogDocument(Document):
    """One read of someone's measurements by someone else."""

    at: datetime
    actor_id: str
    owner_id: str
    action: str  # READ
    resource: str  # e.g. "measurements:BLOOD_GLUCOSE since 2026-11-01T00:00:00+00:00 (12)"
    consultation_id: str | None = None

    class Settings:
        name = "measurement_access_log"
        indexes = [IndexModel([("owner_id", ASCENDING), ("at", DESCENDING)], name="owner_at")]


DOCUMENTS = [
    MeasurementDocument,
    LatestMeasurementDocument,
    DeviceDocument,
    CartridgeLotDocument,
    CartridgeUseDocument,
    DataMigrationDocument,
    GrantDocument,
    AccessLogDocument,
]
