"""The admin subgraph's rules: events folded into actions and analytics, read back; users' reports."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from libs.errors import BadUserInput
from libs.events import CloudEvent
from libs.graphql.cursor import decode_cursor, encode_cursor
from libs.logging import request_id_var
from libs.time import utcnow
from subgraphs.admin.errors import ReportClosed, ReportNotFound
from subgraphs.admin.models import AdminActionRow, UserReportRow
from subgraphs.admin.repository import AdminRepository
from subgraphs.admin.tally import COUNTERS, Tally

CONSUMER_GROUP = "admin"
MAX_PAGE = 100
MAX_DAYS = 366
SOURCE = "/subgraphs/admin"

OPEN, IN_REVIEW, RESOLVED, DISMISSED = "OPEN", "IN_REVIEW", "RESOLVED", "DISMISSED"
# The review workflow: where a report may go from each status (RESOLVED and DISMISSED are final).
TRANSITIONS = {OPEN: {IN_REVIEW, RESOLVED, DISMISSED}, IN_REVIEW: {RESOLVED, DISMISSED}}


@dataclass(frozen=True)
class AdminDeps:
    time_zone: ZoneInfo  # the platform's day boundaries for analytics


@dataclass(frozen=True)
class DayFigures:
    day: date
    active_users: int
    new_users: int
    measurements: int
    coaching_insights: int
    new_subscriptions: int
    consultations: int
    revenue: dict[str, int]  # currency -> net minor units


def _page(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")
    return first


def _text(value: str | None, field: str, limit: int, *, required: bool) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise BadUserInput(f"{field} is required", field=field)
        return None
    if len(value) > limit:
        raise BadUserInput(f"{field} is longer than {limit} characters", field=field)
    return value


class AdminService:
    def __init__(self, repo: AdminRepository, deps: AdminDeps) -> None:
        self.repo = repo
        self.deps = deps

    # -- events ---------------------------------------------------------------------------------------------

    async def handle_events(self, events: Sequence[CloudEvent]) -> int:
        """One consumer read: each event once (a read may hold a redelivery twice); how many counted."""
        done = await self.repo.processed_ids(CONSUMER_GROUP, [e.id for e in events])
        fresh: dict[str, CloudEvent] = {}
        for event in events:
            if event.id not in done:
                fresh.setdefault(event.id, event)
        await self.repo.apply(Tally().extend(fresh.values(), self.deps.time_zone))
        await self.repo.mark_processed(CONSUMER_GROUP, list(fresh.values()))
        return len(fresh)

    async def rebuild(self, replay: Callable[[], Awaitable[Sequence[CloudEvent]]],
                      actor_id: str | None = None) -> int:
        """Analytics from nothing but the streams: consumers wait (the lock) while every event is read and
        folded, so none is missed or counted twice. Admin actions are kept (keyed by event id, a replay adds
        nothing to them). Returns the number of events folded."""
        await self.repo.lock_for_rebuild()
        events = await replay()
        await self.repo.forget_analytics()
        folded = await self.handle_events(events)
        if actor_id is not None:
            self._record(actor_id, "ANALYTICS_REBUILT", None, f"{folded} events")
        return folded

    # -- analytics ------------------------------------------------------------------------------------------

    async def analytics(self, start: date, end: date) -> list[DayFigures]:
        """One row per day from `start` to `end` inclusive, zeros where nothing happened."""
        if end < start:
            raise BadUserInput("`to` is before `from`", field="to")
        if (end - start).days >= MAX_DAYS:
            raise BadUserInput(f"at most {MAX_DAYS} days at once", field="to")
        days = await self.repo.days(start, end)
        active = await self.repo.active_users(start, end)
        revenue: dict[date, dict[str, int]] = {}
        for r in await self.repo.revenue(start, end):
            revenue.setdefault(r.day, {})[r.currency] = r.amount
        out = []
        for i in range((end - start).days + 1):
            day = start + timedelta(days=i)
            row = days.get(day)
            counts = {c: getattr(row, c) if row is not None else 0 for c in COUNTERS}
            out.append(DayFigures(day=day, active_users=active.get(day, 0), revenue=revenue.get(day, {}),
                                  **counts))
        return out

    # -- admin actions --------------------------------------------------------------------------------------

    async def actions(self, first: int, after: str | None) -> tuple[list[AdminActionRow], bool]:
        position = decode_cursor(after, field="after") if after else None
        rows = await self.repo.actions(_page(first) + 1, position)
        return rows[:first], len(rows) > first

    def _record(self, actor_id: str, action: str, target: str | None, reason: str | None) -> None:
        self.repo.add_action(AdminActionRow(
            id=str(uuid.uuid4()), at=utcnow(), actor_id=actor_id, action=action, target_user_id=target,
            reason=reason, request_id=request_id_var.get(), source=SOURCE))

    # -- users' reports -------------------------------------------------------------------------------------

    async def report_user(self, reporter_id: str, target_user_id: str, reason: str | None,
                          content_ref: str | None) -> UserReportRow:
        target = _text(target_user_id, "userId", 64, required=True)
        assert target is not None
        if target == reporter_id:
            raise BadUserInput("you cannot report yourself", field="userId")
        row = UserReportRow(
            id=str(uuid.uuid4()), reporter_id=reporter_id, target_user_id=target,
            reason=_text(reason, "reason", 1000, required=True) or "",
            content_ref=_text(content_ref, "contentRef", 200, required=False), status=OPEN,
        )
        self.repo.add_report(row)
        return row

    async def review(self, actor_id: str, report_id: str, status: str, note: str | None) -> UserReportRow:
        """Moves a report along the workflow; every step is an admin action (REPORT_IN_REVIEW, ...)."""
        row = await self.repo.report(report_id, for_update=True)
        if row is None:
            raise ReportNotFound(report_id)
        if status not in TRANSITIONS.get(row.status, set()):
            if row.status not in TRANSITIONS:
                raise ReportClosed(report_id, row.status)
            raise BadUserInput(f"a {row.status} report cannot become {status}", field="status")
        why = _text(note, "note", 1000, required=status in (RESOLVED, DISMISSED))
        row.status, row.reviewer_id, row.updated_at = status, actor_id, utcnow()
        if why is not None:
            row.resolution = why
        self._record(actor_id, f"REPORT_{status}", row.target_user_id, why)
        return row

    async def reports(self, statuses: Sequence[str], first: int,
                      after: str | None) -> tuple[list[UserReportRow], bool]:
        position = decode_cursor(after, field="after") if after else None
        rows = await self.repo.reports(statuses or [OPEN, IN_REVIEW], _page(first) + 1, position)
        return rows[:first], len(rows) > first

    async def open_report_counts(self, user_ids: Sequence[str]) -> dict[str, int]:
        return await self.repo.open_report_counts(user_ids)


def action_cursor(row: AdminActionRow) -> str:
    return encode_cursor(row.at, row.id)


def report_cursor(row: UserReportRow) -> str:
    return encode_cursor(row.created_at, row.id)
