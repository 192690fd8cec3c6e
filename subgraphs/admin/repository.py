"""Every query of the admin subgraph."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel, col

from libs.db.uow import SessionRepository
from libs.events import CloudEvent, processed_ids, prune_processed
from libs.time import utcnow
from subgraphs.admin.models import (
    AdminActionRow,
    AdminProcessedEvent,
    AnalyticsActiveRow,
    AnalyticsDayRow,
    AnalyticsRevenueRow,
    UserReportRow,
)
from subgraphs.admin.tally import COUNTERS, Tally


class AdminRepository(SessionRepository):
    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def _insert(self, model: type[SQLModel]) -> Any:
        """INSERT with ON CONFLICT, in the dialect at hand (PostgreSQL; SQLite in the dev stack)."""
        return (pg_insert if self._postgres else sqlite_insert)(model)

    # -- processed events -----------------------------------------------------------------------------------

    async def processed_ids(self, group: str, event_ids: Sequence[str]) -> set[str]:
        return await processed_ids(self.session, AdminProcessedEvent, group, event_ids)

    async def mark_processed(self, group: str, events: Sequence[CloudEvent]) -> None:
        """One statement; no ON CONFLICT: a concurrent duplicate fails at commit and is undone."""
        if events:
            await self.session.execute(self._insert(AdminProcessedEvent).values(
                [{"consumer_group": group, "event_id": e.id, "event_type": e.type, "processed_at": utcnow()}
                 for e in events]))

    async def prune_processed(self, older_than: datetime) -> int:
        return await prune_processed(self.session, AdminProcessedEvent, older_than)

    async def lock_for_rebuild(self) -> None:
        """Consumers wait (their first query touches the marker table) until the rebuild commits. SQLite (dev)
        has one writer at a time: taking the write lock at once holds their writes back the same way."""
        if self._postgres:
            await self.session.execute(text("LOCK TABLE admin_processed_events IN ACCESS EXCLUSIVE MODE"))
        else:
            await self.session.execute(delete(AdminProcessedEvent).where(text("0 = 1")))

    async def forget_analytics(self) -> None:
        for model in (AnalyticsDayRow, AnalyticsRevenueRow, AnalyticsActiveRow, AdminProcessedEvent):
            await self.session.execute(delete(model))

    # -- folding events -------------------------------------------------------------------------------------

    async def apply(self, tally: Tally) -> None:
        """Adds a batch's increments: a handful of statements whatever the number of events."""
        if tally.counts:
            rows = [{"day": day, **{c: n.get(c, 0) for c in COUNTERS}} for day, n in tally.counts.items()]
            stmt = self._insert(AnalyticsDayRow).values(rows)
            added = {c: getattr(AnalyticsDayRow, c) + stmt.excluded[c] for c in COUNTERS}
            await self.session.execute(stmt.on_conflict_do_update(index_elements=["day"], set_=added))
        if tally.revenue:
            rev = self._insert(AnalyticsRevenueRow).values(
                [{"day": d, "currency": c, "amount": a} for (d, c), a in tally.revenue.items()])
            await self.session.execute(rev.on_conflict_do_update(
                index_elements=["day", "currency"],
                set_={"amount": AnalyticsRevenueRow.amount + rev.excluded.amount}))
        if tally.active:
            await self.session.execute(self._insert(AnalyticsActiveRow).values(
                [{"day": d, "user_id": u} for d, u in sorted(tally.active)]).on_conflict_do_nothing())
        if tally.actions:
            await self.session.execute(self._insert(AdminActionRow).values(
                [vars(a) for a in tally.actions]).on_conflict_do_nothing())

    # -- analytics ------------------------------------------------------------------------------------------

    async def days(self, start: date, end: date) -> dict[date, AnalyticsDayRow]:
        stmt = select(AnalyticsDayRow).where(col(AnalyticsDayRow.day).between(start, end))
        return {r.day: r for r in (await self.session.execute(stmt)).scalars()}

    async def revenue(self, start: date, end: date) -> list[AnalyticsRevenueRow]:
        stmt = (select(AnalyticsRevenueRow).where(col(AnalyticsRevenueRow.day).between(start, end))
                .order_by(col(AnalyticsRevenueRow.currency)))
        return list((await self.session.execute(stmt)).scalars())

    async def active_users(self, start: date, end: date) -> dict[date, int]:
        stmt = (select(col(AnalyticsActiveRow.day), func.count())
                .where(col(AnalyticsActiveRow.day).between(start, end)).group_by(col(AnalyticsActiveRow.day)))
        return {d: n for d, n in (await self.session.execute(stmt)).all()}

    # -- admin actions --------------------------------------------------------------------------------------

    def add_action(self, row: AdminActionRow) -> None:
        self.session.add(row)

    async def actions(self, first: int, before: tuple[datetime, str] | None) -> list[AdminActionRow]:
        """Newest first; `before`: the (at, id) position of the last one already shown."""
        stmt = select(AdminActionRow)
        if before is not None:
            stmt = stmt.where(tuple_(col(AdminActionRow.at), col(AdminActionRow.id)) < tuple_(*before))
        stmt = stmt.order_by(col(AdminActionRow.at).desc(), col(AdminActionRow.id).desc()).limit(first)
        return list((await self.session.execute(stmt)).scalars())

    # -- user reports ---------------------------------------------------------------------------------------

    def add_report(self, row: UserReportRow) -> None:
        self.session.add(row)

    async def report(self, report_id: str, *, for_update: bool = False) -> UserReportRow | None:
        return await self.session.get(UserReportRow, report_id, with_for_update=for_update)

    async def reports(self, statuses: Sequence[str], first: int,
                      before: tuple[datetime, str] | None) -> list[UserReportRow]:
        stmt = select(UserReportRow).where(col(UserReportRow.status).in_(statuses))
        if before is not None:
            stmt = stmt.where(tuple_(col(UserReportRow.created_at), col(UserReportRow.id)) < tuple_(*before))
        stmt = stmt.order_by(col(UserReportRow.created_at).desc(), col(UserReportRow.id).desc()).limit(first)
        return list((await self.session.execute(stmt)).scalars())

    async def open_report_counts(self, user_ids: Sequence[str]) -> dict[str, int]:
        stmt = (select(col(UserReportRow.target_user_id), func.count())
                .where(col(UserReportRow.target_user_id).in_(user_ids),
                       col(UserReportRow.status).in_(["OPEN", "IN_REVIEW"]))
                .group_by(col(UserReportRow.target_user_id)))
        return {u: n for u, n in (await self.session.execute(stmt)).all()}
