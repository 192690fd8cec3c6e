"""Every query of the measurement database. Speaks domain objects outward, documents inward.

`MeasurementRepository` is what a unit of work of this subgraph yields (`res.db.write()`,
`info.context.unit_of_work()`): one query object per collection (`repo.measurements`, `repo.devices`,
`repo.cartridges`, `repo.leases`). MongoDB here (a standalone server) has no multi-document transactions,
so `res.db` is a `libs.db.uow.NoTransactions` over one stateless repository: each write is atomic on its
own, and a measurement's event waits in an outbox marker on the measurement document itself (events.py).

Every read of one person's measurements costs in proportion to that person's data, on MongoDB and on the
nx-27017 wire server alike (docs/MEASUREMENTS.md): the newest reading per type is a document of its own
(`measurement_latest`, kept by each write), queries bound user_id and type with `$eq` (`equals`),
summaries and history pages are index-bounded finds, counts are per-user index-bounded branches, and
nothing groups or counts the whole collection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from libs.time import as_utc
from subgraphs.measurement.catalogue import AssayMethod, MeasurementSource, MeasurementType, ReadingContext
from subgraphs.measurement.domain import (
    CartridgeLot,
    CartridgeUse,
    Component,
    Cursor,
    Device,
    Measurement,
    Page,
    Summary,
)
from subgraphs.measurement.models import (
    CartridgeLotDocument,
    CartridgeUseDocument,
    ComponentDoc,
    DataMigrationDocument,
    DeviceDocument,
    LatestMeasurementDocument,
    MeasurementDocument,
)


class AlreadyExists(Exception):
    """A unique index refused the write; `existing` is what holds the key (when it could be read)."""

    def __init__(self, existing: Any = None) -> None:
        super().__init__("already exists")
        self.existing = existing


def new_id() -> str:
    return str(ObjectId())


def equals(value: str) -> dict[str, str]:
    """Equality spelled `{"$eq": v}`: the same query as a bare value on MongoDB (an array holding `v` matches
    too), but nx-27017 0.8 compiles a bare value on a field it believes unindexed into an OR with an array
    scan that no SQLite index can serve, and it decides "indexed" by index *name* suffix, which our compound
    indexes fail for user_id and type. With `$eq` it emits a plain `json_extract(...) = ?` that the
    compound indexes' leading columns answer."""
    return {"$eq": value}


def sort_key(m: Measurement) -> str:
    """Orders readings as the history does (takenAt, then clientId, both descending when read newest first):
    zero-padded epoch milliseconds, then the clientId. Compared as a plain string on both stores; it must not
    look like a date, or nx-27017 0.8 compares it as one."""
    millis = int(as_utc(m.taken_at).timestamp() * 1000)
    return f"{millis:015d}|{m.client_id}"


def _oid(id_: str) -> ObjectId | None:
    try:
        return ObjectId(id_)
    except (InvalidId, TypeError):
        return None


def _to_measurement(d: MeasurementDocument) -> Measurement:
    return Measurement(
        id=str(d.id),
        user_id=d.user_id,
        type=MeasurementType(d.type),
        loinc=d.loinc,
        source=MeasurementSource(d.source),
        taken_at=d.taken_at,
        client_id=d.client_id,
        value=d.value,
        unit=d.unit,
        components=tuple(Component(c.code, c.loinc, c.value, c.unit) for c in d.components),
        entered_value=d.entered_value,
        entered_unit=d.entered_unit,
        context=ReadingContext(d.context) if d.context else None,
        device_id=d.device_id,
        cartridge_uid=d.cartridge_uid,
        cartridge_lot=d.cartridge_lot,
        recorded_at=d.recorded_at,
    )


def _from_raw(d: dict[str, Any]) -> Measurement:
    """A stored measurement document as PyMongo returns it, without a Beanie model in between (Home reads
    these on every request; pydantic validation was a fifth of the latest-per-type read)."""
    context, recorded_at = d.get("context"), d.get("recorded_at")
    value, entered = d.get("value"), d.get("entered_value")
    return Measurement(
        id=str(d["_id"]),
        user_id=d["user_id"],
        type=MeasurementType(d["type"]),
        loinc=d["loinc"],
        source=MeasurementSource(d["source"]),
        taken_at=as_utc(d["taken_at"]),
        client_id=d["client_id"],
        value=None if value is None else float(value),  # as the model reads it: digests hash floats
        unit=d.get("unit"),
        components=tuple(
            Component(c["code"], c["loinc"], float(c["value"]), c["unit"]) for c in d.get("components") or ()
        ),
        entered_value=None if entered is None else float(entered),
        entered_unit=d.get("entered_unit"),
        context=ReadingContext(context) if context else None,
        device_id=d.get("device_id"),
        cartridge_uid=d.get("cartridge_uid"),
        cartridge_lot=d.get("cartridge_lot"),
        recorded_at=as_utc(recorded_at) if recorded_at else None,
    )


def _to_raw(m: Measurement) -> dict[str, Any]:
    """`m` as its stored document (absent fields left out, as `keep_nulls = False` stores it)."""
    doc: dict[str, Any] = {
        "_id": ObjectId(m.id),
        "user_id": m.user_id,
        "client_id": m.client_id,
        "type": m.type.value,
        "loinc": m.loinc,
        "source": m.source.value,
        "taken_at": m.taken_at,
        "recorded_at": m.recorded_at or m.taken_at,
        "value": m.value,
        "unit": m.unit,
        "components": [
            {"code": c.code, "loinc": c.loinc, "value": c.value, "unit": c.unit} for c in m.components
        ],
        "entered_value": m.entered_value,
        "entered_unit": m.entered_unit,
        "context": m.context.value if m.context else None,
        "device_id": m.device_id,
        "cartridge_uid": m.cartridge_uid,
        "cartridge_lot": m.cartridge_lot,
    }
    return {k: v for k, v in doc.items() if v is not None}


def _to_document(m: Measurement, id_: str, pending_event_id: str | None) -> MeasurementDocument:
    return MeasurementDocument(
        id=ObjectId(id_),
        user_id=m.user_id,
        client_id=m.client_id,
        type=m.type.value,
        loinc=m.loinc,
        source=m.source.value,
        taken_at=m.taken_at,
        recorded_at=m.recorded_at or m.taken_at,
        value=m.value,
        unit=m.unit,
        components=[
            ComponentDoc(code=c.code, loinc=c.loinc, value=c.value, unit=c.unit) for c in m.components
        ],
        entered_value=m.entered_value,
        entered_unit=m.entered_unit,
        context=m.context.value if m.context else None,
        device_id=m.device_id,
        cartridge_uid=m.cartridge_uid,
        cartridge_lot=m.cartridge_lot,
        pending_event_id=pending_event_id,
    )


# Measurements whose event still waits (an outbox marker is a non-empty event id): a range over the sparse
# index on both stores. `$exists` means the same on MongoDB, but nx-27017 0.8 turns it into `IS NOT NULL`,
# which SQLite answers by scanning the collection (on every relay round).
_PENDING = {"$gt": ""}


class Measurements:
    """The `measurements` collection."""

    async def by_client_id(self, user_id: str, client_id: str) -> Measurement | None:
        doc = await MeasurementDocument.find_one({"user_id": equals(user_id), "client_id": equals(client_id)})
        return _to_measurement(doc) if doc else None

    async def by_client_ids(self, user_id: str, client_ids: Sequence[str]) -> dict[str, Measurement]:
        if not client_ids:
            return {}
        docs = await MeasurementDocument.find(
            {"user_id": equals(user_id), "client_id": {"$in": list(client_ids)}}
        ).to_list()
        return {d.client_id: _to_measurement(d) for d in docs}

    async def insert(self, m: Measurement, id_: str, pending_event_id: str | None) -> Measurement:
        """Stores the measurement with its outbox marker; AlreadyExists(stored) if the clientId was taken."""
        doc = _to_document(m, id_, pending_event_id)
        try:
            await doc.insert()
        except DuplicateKeyError:
            raise AlreadyExists(await self.by_client_id(m.user_id, m.client_id))
        return _to_measurement(doc)

    async def insert_many(
        self, items: Sequence[tuple[Measurement, str, str]]
    ) -> list[tuple[Measurement, bool]]:
        """Stores (measurement, id, pending event id) in one unordered write. Returns, in order, each stored
        measurement and whether this call inserted it (False: its clientId was already taken)."""
        docs = [_to_document(m, id_, event_id) for m, id_, event_id in items]
        taken: dict[int, Measurement] = {}
        try:
            await MeasurementDocument.insert_many(docs, ordered=False)
        except BulkWriteError as e:
            errors = e.details.get("writeErrors", [])
            if any(w.get("code") != 11000 for w in errors):
                raise
            indexes = [int(w["index"]) for w in errors]
            found = await self.by_client_ids(items[0][0].user_id, [docs[i].client_id for i in indexes])
            if any(docs[i].client_id not in found for i in indexes):
                raise
            taken = {i: found[docs[i].client_id] for i in indexes}
        return [(taken[i], False) if i in taken else (_to_measurement(d), True) for i, d in enumerate(docs)]

    async def by_ids(self, ids: Sequence[str]) -> dict[str, Measurement]:
        oids = [o for o in (_oid(i) for i in ids) if o is not None]
        if not oids:
            return {}
        docs = await MeasurementDocument.find({"_id": {"$in": oids}}).to_list()
        return {str(d.id): _to_measurement(d) for d in docs}

    async def count_by_user(self, user_ids: Sequence[str]) -> dict[str, int]:
        # One aggregation whatever the number of users (a page of 50 costs what a page of 5 costs), each
        # user's count its own index-bounded branch (`_count_branches`). Not `$match: {user_id: {$in}}`,
        # which MongoDB answers the same way but nx-27017 0.8 compiles into a scan of the collection.
        unique = list(dict.fromkeys(user_ids))
        if not unique:
            return {}
        rows = await MeasurementDocument.aggregate(_count_branches(unique)).to_list()
        return {str(r["_id"]): int(r["count"]) for r in rows}

    async def latest_per_type(self, user_id: str) -> list[Measurement]:
        """The user's newest measurement of each type: their `measurement_latest` documents, one per type."""
        latest = LatestMeasurementDocument.get_pymongo_collection()
        docs = await latest.find({"user_id": equals(user_id)}).to_list()
        out = [_from_raw(d["measurement"]) for d in docs]
        return sorted(out, key=lambda m: (m.taken_at, m.client_id), reverse=True)

    async def keep_latest(self, stored: Sequence[Measurement]) -> None:
        """Makes each (user, type) latest document name the newest of `stored` if it is newer than what the
        document names. Called by every write after its insert (and by the outbox relay for readings whose
        write may have stopped before this step), so re-applying is harmless. One conditional upsert per
        document, atomic on its own: concurrent writers leave the newest, whatever their order."""
        newest: dict[tuple[str, str], Measurement] = {}
        for m in stored:
            key = (m.user_id, m.type.value)
            if key not in newest or sort_key(m) > sort_key(newest[key]):
                newest[key] = m
        await asyncio.gather(*(self._keep(m) for m in newest.values()))

    async def _keep(self, m: Measurement) -> None:
        coll = LatestMeasurementDocument.get_pymongo_collection()
        key = sort_key(m)
        snapshot = _to_raw(m)
        update = {
            "$set": {"user_id": m.user_id, "type": m.type.value, "sort_key": key, "measurement": snapshot}
        }
        # Updates an older document, or inserts the first one. When a document exists and is not older, the
        # filter misses and the upsert collides on _id: the newer one stays. A collision can also be a
        # concurrent first insert (which may be older than ours), so the update is tried once more; the
        # second collision can only mean "not older".
        for _ in range(2):
            try:
                await coll.update_one(
                    {"_id": f"{m.user_id}:{m.type.value}", "sort_key": {"$lt": key}}, update, upsert=True
                )
                return
            except DuplicateKeyError:
                continue

    async def page(
        self,
        user_id: str,
        type_: MeasurementType,
        since: datetime | None,
        until: datetime | None,
        first: int,
        after: Cursor | None,
    ) -> Page:
        # After a cursor the page is the rest of the cursor's millisecond (same takenAt, smaller clientId),
        # then what is older: two index ranges, each a plain AND. (A top-level `$or` is the same query on
        # MongoDB, but nx-27017 0.8 drops its parentheses: `user AND type AND a OR b` would also match
        # other people's readings of that millisecond, and scan the whole collection.)
        coll = MeasurementDocument.get_pymongo_collection()
        docs: list[dict[str, Any]] = []
        if after is not None and _within(after.taken_at, since, until):
            query = _range(user_id, type_, since, until)
            query["taken_at"] = after.taken_at
            query["client_id"] = {"$lt": after.client_id}
            docs = await coll.find(query).sort("client_id", -1).limit(first + 1).to_list()
        if after is not None:
            until = after.taken_at if until is None else min(as_utc(until), as_utc(after.taken_at))
        if len(docs) <= first:
            query = _range(user_id, type_, since, until)
            newest_first = [("taken_at", -1), ("client_id", -1)]
            docs += await coll.find(query).sort(newest_first).limit(first + 1 - len(docs)).to_list()
        return Page(items=[_from_raw(d) for d in docs[:first]], has_next=len(docs) > first)

    async def summary(
        self,
        user_id: str,
        type_: MeasurementType,
        since: datetime | None,
        until: datetime | None,
        component: str | None,
    ) -> Summary:
        # An index-bounded find of the range's values, reduced here: what the user has in the range, on both
        # stores. (nx-27017 0.8 runs an aggregation's $match either over a copy of the whole collection or,
        # in its fast tier, with date bounds compared as text, which is wrong.)
        query = _range(user_id, type_, since, until)
        projection = {"_id": 0, "value": 1} if component is None else {"_id": 0, "components": 1}
        rows = await MeasurementDocument.get_pymongo_collection().find(query, projection).to_list()
        if component is None:
            count = len(rows)
            values = [float(r["value"]) for r in rows if isinstance(r.get("value"), int | float)]
        else:
            values = [
                float(c["value"])
                for r in rows
                for c in r.get("components") or []
                if c.get("code") == component
            ]
            count = len(values)
        if not values:
            return Summary(count=count, average=None, min=None, max=None)
        return Summary(count=count, average=sum(values) / len(values), min=min(values), max=max(values))

    async def clear_pending_events(self, marked: Sequence[tuple[str, str]]) -> None:
        """Clears the markers of (measurement id, event id) pairs whose events are on the stream."""
        # Two `$in`s, not an `$or` of pairs: event ids are fresh per measurement, so a marker can only match
        # its own pair, and nx-27017 0.8 answers `_id $in` from its id index but scans for an `$or`.
        if marked:
            await MeasurementDocument.get_pymongo_collection().update_many(
                {
                    "_id": {"$in": [ObjectId(mid) for mid, _ in marked]},
                    "pending_event_id": {"$in": [eid for _, eid in marked]},
                },
                {"$unset": {"pending_event_id": ""}},
            )

    async def clear_pending_event(self, measurement_id: str, event_id: str) -> None:
        await MeasurementDocument.get_pymongo_collection().update_one(
            {"_id": ObjectId(measurement_id), "pending_event_id": event_id},
            {"$unset": {"pending_event_id": ""}},
        )

    async def with_pending_event(
        self, recorded_before: datetime, limit: int
    ) -> list[tuple[Measurement, str]]:
        docs = await (
            MeasurementDocument.find({"pending_event_id": _PENDING, "recorded_at": {"$lt": recorded_before}})
            .sort("+recorded_at")
            .limit(limit)
            .to_list()
        )
        return [(_to_measurement(d), d.pending_event_id) for d in docs if d.pending_event_id]

    async def count_pending_events(self) -> int:
        # A `count` command over the sparse outbox index, not `count_documents` (see count_by_user).
        coll = MeasurementDocument.get_pymongo_collection()
        query = {"pending_event_id": _PENDING}
        reply = await coll.database.command("count", coll.name, query=query)
        return int(reply["n"])


_BRANCHES = 40  # nx-27017 0.8 compiles pipelines of at most 50 stages into one SQL statement


def _count_branches(user_ids: Sequence[str]) -> list[dict[str, Any]]:
    """A pipeline counting each user's measurements: the first user's `$match` + `$group`, then one
    `$unionWith` per further group of users, nested so that no pipeline has more than ~40 stages. Every
    branch starts with an equality on the index prefix: an index range on MongoDB and on nx-27017."""
    first, rest = user_ids[0], list(user_ids[1:])
    pipeline: list[dict[str, Any]] = [
        {"$match": {"user_id": equals(first)}},
        {"$group": {"_id": "$user_id", "count": {"$sum": 1}}},
    ]
    size = max(1, -(-len(rest) // _BRANCHES))  # ceil: at most _BRANCHES groups
    for k in range(0, len(rest), size):
        sub = _count_branches(rest[k : k + size])
        pipeline.append({"$unionWith": {"coll": MeasurementDocument.get_collection_name(), "pipeline": sub}})
    return pipeline


def _within(at: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or as_utc(at) >= as_utc(since)) and (until is None or as_utc(at) < as_utc(until))


def _range(
    user_id: str, type_: MeasurementType, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    query: dict[str, Any] = {"user_id": equals(user_id), "type": equals(type_.value)}
    bounds: dict[str, datetime] = {}
    if since is not None:
        bounds["$gte"] = since
    if until is not None:
        bounds["$lt"] = until
    if bounds:
        query["taken_at"] = bounds
    return query


class Leases:
    """The `leases` collection: named leases: one holder at a time, until it lets go or stops renewing."""

    def _collection(self) -> Any:
        return MeasurementDocument.get_pymongo_collection().database["leases"]

    async def acquire(self, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        try:
            doc = await self._collection().find_one_and_update(
                {"_id": name, "$or": [{"until": {"$lt": now}}, {"owner": owner}]},
                {"$set": {"owner": owner, "until": now + ttl}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:  # MongoDB: held by someone else, so the upsert collided on _id
            return False
        # nx-27017 0.8 answers that collision with no document instead of the error.
        return doc is not None and doc.get("owner") == owner

    async def release(self, name: str, owner: str) -> None:
        await self._collection().delete_one({"_id": name, "owner": owner})


def _to_device(d: DeviceDocument) -> Device:
    return Device(
        id=str(d.id),
        user_id=d.user_id,
        serial=d.serial,
        model=d.model,
        name=d.name,
        registered_at=d.registered_at,
    )


class Devices:
    """The `devices` collection."""

    async def by_serial(self, serial: str) -> Device | None:
        doc = await DeviceDocument.find_one({"serial": serial})
        return _to_device(doc) if doc else None

    async def get(self, device_id: str) -> Device | None:
        oid = _oid(device_id)
        doc = await DeviceDocument.find_one({"_id": oid}) if oid else None
        return _to_device(doc) if doc else None

    async def for_users(self, user_ids: Iterable[str]) -> list[Device]:
        docs = (
            await DeviceDocument.find({"user_id": {"$in": list(user_ids)}}).sort("+registered_at").to_list()
        )
        return [_to_device(d) for d in docs]

    async def insert(
        self, user_id: str, serial: str, model: str | None, name: str | None, at: datetime
    ) -> Device:
        doc = DeviceDocument(user_id=user_id, serial=serial, model=model, name=name, registered_at=at)
        try:
            await doc.insert()
        except DuplicateKeyError:
            raise AlreadyExists(await self.by_serial(serial))
        return _to_device(doc)


def _to_lot(d: CartridgeLotDocument) -> CartridgeLot:
    return CartridgeLot(
        lot=d.lot,
        type=MeasurementType(d.type),
        expires_at=d.expires_at,
        calibration=tuple(d.calibration),
        created_at=d.created_at,
        method=AssayMethod(d.method) if d.method else None,
    )


class Cartridges:
    """The `cartridge_lots` and `cartridge_uses` collections."""

    async def lot(self, lot: str) -> CartridgeLot | None:
        doc = await CartridgeLotDocument.find_one({"lot": lot})
        return _to_lot(doc) if doc else None

    async def upsert_lot(self, lot: CartridgeLot, at: datetime) -> CartridgeLot:
        await CartridgeLotDocument.get_pymongo_collection().update_one(
            {"lot": lot.lot},
            {
                "$set": {
                    "type": lot.type.value,
                    "expires_at": lot.expires_at,
                    "calibration": list(lot.calibration),
                    "method": lot.method.value if lot.method else None,
                },
                "$setOnInsert": {"created_at": at},
            },
            upsert=True,
        )
        stored = await self.lot(lot.lot)
        assert stored is not None
        return stored

    async def claim(self, use: CartridgeUse) -> None:
        """Marks the cartridge used; AlreadyExists(previous use) when it was, even by a concurrent request."""
        doc = CartridgeUseDocument(
            uid=use.uid,
            lot=use.lot,
            counter=use.counter,
            user_id=use.user_id,
            client_id=use.client_id,
            measurement_id=use.measurement_id,
            used_at=use.used_at,
        )
        try:
            await doc.insert()
        except DuplicateKeyError:
            prev = await CartridgeUseDocument.find_one({"uid": use.uid})
            raise AlreadyExists(
                CartridgeUse(
                    prev.uid,
                    prev.lot,
                    prev.counter,
                    prev.user_id,
                    prev.client_id,
                    prev.measurement_id,
                    prev.used_at,
                )
                if prev
                else None
            )

    async def lots(self) -> list[CartridgeLot]:
        return [_to_lot(d) for d in await CartridgeLotDocument.find({}).to_list()]

    async def set_lot_method(self, lot: str, method: AssayMethod) -> bool:
        """Names the method of a lot registered without one; False if it already had one."""
        result = await CartridgeLotDocument.get_pymongo_collection().update_one(
            {"lot": lot, "$or": [{"method": None}, {"method": {"$exists": False}}]},
            {"$set": {"method": method.value}},
        )
        return bool(result.modified_count)

    async def release(self, uid: str, measurement_id: str) -> None:
        """Undoes a claim whose measurement was not stored (only that claim, never a later one)."""
        await CartridgeUseDocument.get_pymongo_collection().delete_one(
            {"uid": uid, "measurement_id": measurement_id}
        )


class DataMigrations:
    """The `data_migrations` collection, and the reads and writes the data migrations make."""

    async def applied(self, name: str) -> bool:
        return await DataMigrationDocument.find_one({"name": name}) is not None

    async def mark_applied(self, name: str, at: datetime, changed: int) -> None:
        with contextlib.suppress(DuplicateKeyError):  # another process finished the same migration first
            await DataMigrationDocument(name=name, applied_at=at, changed=changed).insert()

    async def measurements_of_types(
        self, types: Sequence[MeasurementType], after_id: str | None, limit: int
    ) -> list[Measurement]:
        """One page of the measurements of `types` in `_id` order, after `after_id`."""
        query: dict[str, Any] = {"type": {"$in": [t.value for t in types]}}
        if after_id is not None:
            query["_id"] = {"$gt": ObjectId(after_id)}
        docs = await MeasurementDocument.find(query).sort("+_id").limit(limit).to_list()
        return [_to_measurement(d) for d in docs]

    async def newest_per_type(self) -> list[Measurement]:
        """Each user's newest measurement of each type, from one pass over the collection (one cursor read in
        batches, no page query to repeat: nx-27017 0.8 would answer each one by scanning everything)."""
        newest: dict[tuple[str, str], tuple[str, Measurement]] = {}
        async for doc in MeasurementDocument.get_pymongo_collection().find({}, batch_size=1000):
            m = _from_raw(doc)
            key, order = (m.user_id, m.type.value), sort_key(m)
            if key not in newest or order > newest[key][0]:
                newest[key] = (order, m)
        return [m for _, m in newest.values()]

    async def recode(self, before: Measurement, after: Measurement, event_id: str) -> bool:
        """Rewrites the type and codes of a stored measurement, only if they are still `before`'s: no
        value, time or other field is touched. False when someone changed it meanwhile. The same write sets
        its outbox marker, so the relay publishes the new content (and digest) for the data subgraph's chain
        (integrity.py)."""
        result = await MeasurementDocument.get_pymongo_collection().update_one(
            {"_id": ObjectId(before.id), "type": before.type.value, "loinc": before.loinc},
            {
                "$set": {
                    "type": after.type.value,
                    "loinc": after.loinc,
                    "components": [
                        {"code": c.code, "loinc": c.loinc, "value": c.value, "unit": c.unit}
                        for c in after.components
                    ],
                    "pending_event_id": event_id,
                }
            },
        )
        return bool(result.modified_count)


class Protection:
    """The reads and writes of health-data protection (issue 12): integrity re-hashing, erasure."""

    async def pages(self, size: int) -> AsyncIterator[list[Measurement]]:
        """Every measurement in `_id` order, `size` at a time (an integrity check re-hashes them all): one
        cursor, not a query per page, whose `_id > last` nx-27017 0.8 answers by scanning everything."""
        page: list[Measurement] = []
        async for doc in (
            MeasurementDocument.get_pymongo_collection().find({}, batch_size=size).sort("_id", 1)
        ):
            page.append(_from_raw(doc))
            if len(page) == size:
                yield page
                page = []
        if page:
            yield page

    async def erase_user(self, user_id: str) -> tuple[int, int]:
        """Deletes the person's measurements and readers; their used cartridges stay used (single use is
        about the cartridge) but no longer name them. Returns (measurements, devices) deleted."""
        measurements = await MeasurementDocument.get_pymongo_collection().delete_many(
            {"user_id": equals(user_id)}
        )
        await LatestMeasurementDocument.get_pymongo_collection().delete_many({"user_id": equals(user_id)})
        devices = await DeviceDocument.get_pymongo_collection().delete_many({"user_id": equals(user_id)})
        await CartridgeUseDocument.get_pymongo_collection().update_many(
            {"user_id": equals(user_id)}, {"$set": {"user_id": "erased", "client_id": ""}}
        )
        return measurements.deleted_count, devices.deleted_count


@dataclass(frozen=True, slots=True)
class MeasurementRepository:
    measurements: Measurements = field(default_factory=Measurements)
    devices: Devices = field(default_factory=Devices)
    cartridges: Cartridges = field(default_factory=Cartridges)
    leases: Leases = field(default_factory=Leases)
    migrations: DataMigrations = field(default_factory=DataMigrations)
    protection: Protection = field(default_factory=Protection)
