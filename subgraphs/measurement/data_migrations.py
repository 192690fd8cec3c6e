"""Data migrations of the measurement database: stored readings brought to what the catalogue now says.

MongoDB has no Alembic; each migration here has a name, runs at startup (`open_resources`) and from
`manpasik migrate`, is idempotent (it rewrites only what still differs, guarded by the old values) and is
recorded in `data_migrations` once done, so later startups skip it with one lookup.

`codes-per-method` (issue 19): a reading keeps the LOINC code of how it was measured. Cartridge lots
registered before lots named their method get the catalogue's default (calculated LDL, hs-CRP, creatinine
in whole blood); their readings, and typed-in lipid panels, take the codes of that method; a wearable's
"body temperature" becomes SKIN_TEMPERATURE (39106-0). Values, units, times, ids and everything else stay.
Each rewritten reading is published again (`measurement.recorded`, a new event id, through its outbox
marker) so the data subgraph chains its new digest; coaching knows the reading and ignores it.

`latest-per-type` (issue 17): Home's newest reading of each type is a document of its own
(`measurement_latest`), kept by each write; this builds them for the readings stored before. It runs after
`codes-per-method`, so the types are already the corrected ones. A write racing it is safe: both apply the
same "only if newer" update (`Measurements.keep_latest`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from libs.config import Settings
from libs.db.mongo import connect_mongo
from libs.db.uow import NoTransactions
from libs.time import utcnow
from subgraphs.measurement.catalogue import CATALOGUE, AssayMethod, MeasurementSource, MeasurementType
from subgraphs.measurement.domain import Measurement
from subgraphs.measurement.models import DOCUMENTS
from subgraphs.measurement.repository import MeasurementRepository
from subgraphs.measurement.settings import MeasurementSettings
from subgraphs.measurement.validation import coded

log = logging.getLogger("manpasik.measurement.migrations")

CODES_PER_METHOD = "0001-codes-per-method"
LATEST_PER_TYPE = "0002-latest-per-type"
PAGE = 500


def recoded(m: Measurement, lot_methods: dict[str, AssayMethod | None]) -> Measurement:
    """What `m` is under the current catalogue: its type (a wearable's temperature is skin temperature) and
    the codes of its source and, for a cartridge, its lot's method."""
    if m.type is MeasurementType.BODY_TEMPERATURE and m.source is MeasurementSource.WEARABLE:
        m = replace(m, type=MeasurementType.SKIN_TEMPERATURE)
    method = lot_methods.get(m.cartridge_lot) if m.cartridge_lot else None
    return coded(m, method)


def _codes(m: Measurement) -> tuple[object, ...]:
    return (m.type, m.loinc, tuple((c.code, c.loinc) for c in m.components))


async def migrate_codes(repo: MeasurementRepository) -> int:
    """Brings lots and readings to the codes of their method; returns how many readings changed."""
    for lot in await repo.cartridges.lots():
        default = CATALOGUE[lot.type].default_method
        if lot.method is None and default is not None:
            await repo.cartridges.set_lot_method(lot.lot, default)
    methods = {lot.lot: lot.method for lot in await repo.cartridges.lots()}
    # Only these types have codes that depend on source or method (or, for temperature, a type to correct).
    types = [
        t
        for t, spec in CATALOGUE.items()
        if spec.methods or spec.loinc_by_source or t is MeasurementType.BODY_TEMPERATURE
    ]
    changed, after = 0, None
    while page := await repo.migrations.measurements_of_types(types, after, PAGE):
        for m in page:
            target = recoded(m, methods)
            if _codes(target) != _codes(m) and await repo.migrations.recode(m, target, str(uuid.uuid4())):
                changed += 1
        after = page[-1].id
    return changed


async def build_latest(repo: MeasurementRepository) -> int:
    """Writes the latest-per-type documents of every stored reading; returns how many (user, type) pairs."""
    newest = await repo.migrations.newest_per_type()
    for k in range(0, len(newest), PAGE):
        await repo.measurements.keep_latest(newest[k : k + PAGE])
    return len(newest)


MIGRATIONS: list[tuple[str, Callable[[MeasurementRepository], Awaitable[int]]]] = [
    (CODES_PER_METHOD, migrate_codes),
    (LATEST_PER_TYPE, build_latest),
]


async def run_data_migrations(repo: MeasurementRepository, now: Callable[[], datetime] = utcnow) -> list[str]:
    """Applies the migrations not yet recorded; one line per migration."""
    done = []
    for name, step in MIGRATIONS:
        if await repo.migrations.applied(name):
            done.append(f"{name}: already applied")
            continue
        changed = await step(repo)
        await repo.migrations.mark_applied(name, now(), changed)
        log.warning("data migration %s applied: %s readings changed", name, changed)
        done.append(f"{name}: applied, {changed} readings changed")
    return done


async def migrate_database(settings: Settings, own: MeasurementSettings | None = None) -> list[str]:
    """`manpasik migrate measurement`: the data migrations, from a process of its own (not beside a running
    app in the same process: Beanie binds its documents to one client per process)."""
    own = own or MeasurementSettings()
    if not settings.mongodb_url:
        raise RuntimeError("MONGODB_URL is not set")
    database = settings.database_name(own.database)
    mongo = await connect_mongo(settings.mongodb_url, database, DOCUMENTS)
    try:
        async with NoTransactions(MeasurementRepository()).write() as repo:
            return [f"measurement: {database}: {line}" for line in await run_data_migrations(repo)]
    finally:
        await mongo.close()
