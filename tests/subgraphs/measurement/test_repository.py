"""Repository paths that requests reach only under races, driven directly against the running app's store.

The module's app (the `url` fixture) runs in this test's event loop and has bound the Beanie documents to its
client, so the real repository works here as it does inside a request.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from subgraphs.measurement.catalogue import MeasurementSource, MeasurementType
from subgraphs.measurement.domain import Measurement
from subgraphs.measurement.repository import MeasurementRepository, new_id


def _reading(user_id: str, client_id: str, value: float) -> Measurement:
    now = datetime.now(UTC).replace(microsecond=0)
    return Measurement(
        user_id=user_id,
        type=MeasurementType.HEART_RATE,
        loinc="8867-4",
        source=MeasurementSource.MANUAL,
        taken_at=now,
        client_id=client_id,
        value=value,
        unit="/min",
        recorded_at=now,
    )


async def test_unordered_insert_returns_the_stored_twin_of_a_taken_client_id(url) -> None:
    repo = MeasurementRepository()
    user = uuid.uuid4().hex
    [(first, inserted)] = await repo.insert_many([(_reading(user, "a", 60), new_id(), "e1")])
    assert inserted
    # A concurrent batch passed its pre-check before "a" was stored: the unique index refuses only that one.
    results = await repo.insert_many(
        [
            (_reading(user, "a", 99), new_id(), "e2"),
            (_reading(user, "b", 61), new_id(), "e3"),
        ]
    )
    assert [(m.client_id, m.value, inserted) for m, inserted in results] == [
        ("a", 60.0, False),
        ("b", 61.0, True),
    ]
    assert results[0][0].id == first.id
