"""Sharing with a consultation's doctor (video issue, item 7): with the patient's consent given at booking,
the doctor reads the patient's measurements since the consented date, during the consultation window only,
and every such read is recorded (who, whose, what, when) for the access log.

The video subgraph announces consultations on the `consultation` stream; each carries the grant
(`shareMeasurementsSince`, `windowStart`, `windowEnd`), and ended, canceled or no-show ones close it. This
module keeps those grants (`GrantDocument`), answers "may this doctor read this user now, since when",
and writes the reads (`AccessLogDocument`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.permission import BasePermission, PermissionExtension

from libs.audit import AccessAction, access, publish_access
from libs.auth import Role
from libs.auth.permissions import require_viewer
from libs.auth.viewer import Viewer
from libs.errors import Forbidden
from libs.events import CloudEvent, DropEvent, EventPublisher
from libs.events.streams import (
    CONSULTATION_BOOKED,
    CONSULTATION_CANCELED,
    CONSULTATION_CONFIRMED,
    CONSULTATION_ENDED,
    CONSULTATION_NO_SHOW,
    CONSULTATION_STARTED,
)
from libs.time import as_utc, utcnow
from subgraphs.measurement.context import Info
from subgraphs.measurement.errors import OWN_MEASUREMENTS
from subgraphs.measurement.models import AccessLogDocument, GrantDocument
from subgraphs.measurement.repository import equals

CONSUMER_GROUP = "measurement-sharing"
OPENING = frozenset({CONSULTATION_BOOKED, CONSULTATION_CONFIRMED, CONSULTATION_STARTED})
CLOSING = frozenset({CONSULTATION_ENDED, CONSULTATION_CANCELED, CONSULTATION_NO_SHOW})


def _time(data: dict[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        return as_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError as e:
        raise DropEvent(f"{key} is not a time: {value!r}") from e


async def handle_consultation_event(event: CloudEvent) -> bool:
    """Keeps the grant an event describes; True when it wrote one. Idempotent: a grant is keyed by its
    consultation, and once closed a redelivered older event never opens it again."""
    if event.type not in OPENING | CLOSING:
        return False
    data = event.data
    since = _time(data, "shareMeasurementsSince")
    consultation_id = data.get("consultationId")
    patient_id, doctor_id = data.get("patientId"), data.get("doctorId")
    if since is None:
        return False  # the patient shared nothing
    start, end = _time(data, "windowStart"), _time(data, "windowEnd")
    people = (consultation_id, patient_id, doctor_id)
    if not all(isinstance(v, str) for v in people) or start is None or end is None:
        raise DropEvent("a consultation event without its participants or window")
    fields: dict[str, Any] = {
        "patient_id": patient_id,
        "doctor_id": doctor_id,
        "since": since,
        "window_start": start,
        "window_end": end,
    }
    update: dict[str, Any] = {"$set": fields}
    if event.type in CLOSING:
        update["$set"] = {**fields, "closed_at": as_utc(event.timestamp or utcnow())}
    else:
        update["$setOnInsert"] = {"closed_at": None}
    await GrantDocument.get_pymongo_collection().update_one(
        {"consultation_id": consultation_id}, update, upsert=True
    )
    return True


async def live_grants(doctor_id: str, patient_ids: Sequence[str], now: datetime) -> dict[str, GrantDocument]:
    """The doctor's open grants over these patients (the earliest `since` when several are open)."""
    found: dict[str, GrantDocument] = {}
    # The window is checked here, not in the query: nx-27017 0.8 found no match for the whole filter with
    # both window bounds although each part matched alone; a doctor holds few open grants anyway.
    # `equals`: a bound nx-27017 answers from the (doctor_id, patient_id) index (repository.equals).
    cursor = GrantDocument.find(
        {"doctor_id": equals(doctor_id), "patient_id": {"$in": list(patient_ids)}, "closed_at": None}
    )
    for grant in await cursor.to_list():
        if not as_utc(grant.window_start) <= now < as_utc(grant.window_end):
            continue
        current = found.get(grant.patient_id)
        if current is None or grant.since < current.since:
            found[grant.patient_id] = grant
    return found


def _viewer(info: Info) -> Viewer:
    viewer = getattr(info.context, "viewer", None)
    return viewer if isinstance(viewer, Viewer) else Viewer()


def grants_for_viewer(info: Info) -> DataLoader[str, GrantDocument | None]:
    """Per request: the viewer's (a doctor's) open grant over each patient id, one query per batch."""
    viewer = _viewer(info)

    async def load(patient_ids: Sequence[str]) -> list[GrantDocument | None]:
        if viewer.user_id is None or not viewer.has_role(Role.DOCTOR):
            return [None for _ in patient_ids]
        found = await live_grants(viewer.user_id, patient_ids, utcnow())
        return [found.get(p) for p in patient_ids]

    return info.context.loader("grants_for_viewer", lambda: DataLoader(load_fn=load))


async def grant_for(info: Info, owner_id: str) -> GrantDocument | None:
    """None when the viewer reads their own data (or has no grant)."""
    if _viewer(info).user_id == owner_id:
        return None
    return await grants_for_viewer(info).load(owner_id)


class OwnerOrGrantee(BasePermission):
    """The user themself, or a doctor the user shares their measurements with right now."""

    message = OWN_MEASUREMENTS

    async def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        viewer = require_viewer(_viewer(info))
        owner_id = str(source.id)
        return viewer.user_id == owner_id or await grant_for(info, owner_id) is not None

    def on_unauthorized(self) -> None:
        raise Forbidden(self.message)


def owner_or_grantee() -> PermissionExtension:
    return PermissionExtension(permissions=[OwnerOrGrantee()], use_directives=False)


async def record_read(info: Info, owner_id: str, grant: GrantDocument, resource: str) -> None:
    actor_id = str(_viewer(info).user_id)
    await AccessLogDocument(
        at=utcnow(),
        actor_id=actor_id,
        owner_id=owner_id,
        action="READ",
        resource=resource,
        consultation_id=grant.consultation_id,
    ).insert()
    # The patient's access log (data subgraph, hash-chained) through the shared hook; a read that cannot be
    # audited there fails rather than being served unrecorded.
    res = info.context.resources
    await publish_access(
        EventPublisher(res.redis, res.settings),
        "/subgraphs/measurement",
        [access(actor_id, owner_id, AccessAction.READ, resource)],
    )


async def access_log(owner_id: str, limit: int) -> list[AccessLogDocument]:
    """The newest reads of the owner's measurements by others (for the data-protection work's access log)."""
    found = AccessLogDocument.find({"owner_id": equals(owner_id)}).sort("-at").limit(limit)
    return await found.to_list()
