"""Health-data protection for measurements (issue 12, with the data subgraph): each measurement's digest, and
the answers to integrity checks and account deletions.

The digest covers everything stored about a reading (`record_content`) and is computed in the write itself
(in memory: no extra round trip on `recordMeasurement`); `measurement.recorded` carries it, and the data
subgraph chains it. An integrity check (`data.integrity_check_requested`) re-hashes every stored document
here and answers with `integrity.records_hashed` pages, so an edit made directly in MongoDB no longer matches
the chained digest. Whatever rewrites stored measurements on purpose (a data migration) must publish the new
content again, or the next check reports it.
"""

from __future__ import annotations

import logging
from typing import Any

from libs.events import CloudEvent, EventPublisher
from libs.events.streams import (
    DATA_INTEGRITY_CHECK_REQUESTED,
    INTEGRITY_RECORDS_HASHED,
    INTEGRITY_STREAM,
    USER_DELETION_REQUESTED,
)
from libs.integrity import content_digest
from libs.time import as_utc
from subgraphs.measurement.domain import Measurement
from subgraphs.measurement.repository import MeasurementRepository

log = logging.getLogger("manpasik.measurement.integrity")

DOMAIN = "measurement"
SOURCE = "/subgraphs/measurement"
PAGE = 500


def record_content(m: Measurement) -> dict[str, Any]:
    return {
        "id": m.id,
        "userId": m.user_id,
        "clientId": m.client_id,
        "type": m.type.value,
        "loinc": m.loinc,
        "source": m.source.value,
        "takenAt": as_utc(m.taken_at),
        "recordedAt": as_utc(m.recorded_at) if m.recorded_at else None,
        "value": m.value,
        "unit": m.unit,
        "components": [[c.code, c.loinc, c.value, c.unit] for c in m.components],
        "enteredValue": m.entered_value,
        "enteredUnit": m.entered_unit,
        "context": m.context.value if m.context else None,
        "deviceId": m.device_id,
        "cartridgeUid": m.cartridge_uid,
        "cartridgeLot": m.cartridge_lot,
    }


def record_digest(m: Measurement) -> str:
    return content_digest(record_content(m))


async def answer_check(repo: MeasurementRepository, publisher: EventPublisher, event: CloudEvent) -> int:
    """Re-hashes every stored measurement for a check that asks this domain; returns how many."""
    check_id = event.data.get("checkId")
    if event.type != DATA_INTEGRITY_CHECK_REQUESTED or DOMAIN not in (event.data.get("domains") or []):
        return 0
    total, page = 0, 0
    pages = repo.protection.pages(PAGE)
    rows: list[Measurement] = await anext(pages, [])
    while True:
        following = await anext(pages, None)  # one page ahead, to flag the last one
        last = following is None
        data = {
            "checkId": check_id,
            "domain": DOMAIN,
            "records": [[m.id, record_digest(m)] for m in rows],
            "last": last,
        }
        # The subject keeps one check's pages in one consumer lane, in order.
        await publisher.publish(
            INTEGRITY_STREAM,
            CloudEvent.new(
                INTEGRITY_RECORDS_HASHED, SOURCE, str(check_id), data, id=f"{check_id}:{DOMAIN}:{page}"
            ),
        )
        total += len(rows)
        page += 1
        if following is None:
            return total
        rows = following


async def erase(repo: MeasurementRepository, event: CloudEvent) -> bool:
    user_id = event.data.get("userId") or event.subject
    if event.type != USER_DELETION_REQUESTED or not isinstance(user_id, str):
        return False
    measurements, devices = await repo.protection.erase_user(user_id)
    log.info("erased user %s: %d measurements, %d devices", user_id, measurements, devices)
    return True
