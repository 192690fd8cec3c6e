"""Every query of the coaching subgraph."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import col

from libs.db.uow import SessionRepository
from libs.events.ledger import EventLedger
from subgraphs.coaching.models import (
    CoachingOutbox,
    CoachingProcessedEvent,
    CoachingProfileRow,
    InsightRow,
    ReadingRow,
)


class CoachingRepository(SessionRepository, EventLedger):
    processed_model, outbox_model = CoachingProcessedEvent, CoachingOutbox

    # -- profiles -------------------------------------------------------------------------------------------

    async def profile(self, user_id: str) -> CoachingProfileRow | None:
        return await self.session.get(CoachingProfileRow, user_id)

    async def profiles(self, user_ids: Sequence[str]) -> dict[str, CoachingProfileRow]:
        stmt = select(CoachingProfileRow).where(col(CoachingProfileRow.user_id).in_(user_ids))
        return {r.user_id: r for r in (await self.session.execute(stmt)).scalars()}

    def save_profile(self, row: CoachingProfileRow) -> None:
        self.session.add(row)

    # -- readings -------------------------------------------------------------------------------------------

    async def reading_exists(self, reading_id: str) -> bool:
        return await self.session.get(ReadingRow, reading_id) is not None

    async def existing_reading_ids(self, reading_ids: Sequence[str]) -> set[str]:
        stmt = select(col(ReadingRow.id)).where(col(ReadingRow.id).in_(reading_ids))
        return set((await self.session.execute(stmt)).scalars())

    def add_reading(self, row: ReadingRow) -> None:
        self.session.add(row)

    async def readings_between(self, user_id: str, type_: str, since: datetime,
                               until: datetime) -> list[ReadingRow]:
        stmt = (select(ReadingRow)
                .where(col(ReadingRow.user_id) == user_id, col(ReadingRow.type) == type_,
                       col(ReadingRow.taken_at) > since, col(ReadingRow.taken_at) <= until)
                .order_by(col(ReadingRow.taken_at)))
        return list((await self.session.execute(stmt)).scalars())

    async def readings_of(self, user_ids: Sequence[str], types: Sequence[str], since: datetime,
                          until: datetime) -> list[ReadingRow]:
        """`readings_between` for several users and types at once (the caller picks each one's window)."""
        stmt = (select(ReadingRow)
                .where(col(ReadingRow.user_id).in_(user_ids), col(ReadingRow.type).in_(types),
                       col(ReadingRow.taken_at) > since, col(ReadingRow.taken_at) <= until)
                .order_by(col(ReadingRow.taken_at)))
        return list((await self.session.execute(stmt)).scalars())

    # -- insights -------------------------------------------------------------------------------------------

    def add_insights(self, rows: Sequence[InsightRow]) -> None:
        self.session.add_all(rows)

    async def recent_rule_ids(self, user_id: str, rule_ids: Sequence[str], since: datetime) -> set[str]:
        if not rule_ids:
            return set()
        stmt = select(col(InsightRow.rule_id)).where(
            col(InsightRow.user_id) == user_id, col(InsightRow.rule_id).in_(rule_ids),
            col(InsightRow.created_at) > since).distinct()
        return set((await self.session.execute(stmt)).scalars())

    async def recent_rule_pairs(self, user_ids: Sequence[str], rule_ids: Sequence[str],
                                since: datetime) -> set[tuple[str, str]]:
        """`recent_rule_ids` for several users: (user id, rule id) pairs."""
        if not (user_ids and rule_ids):
            return set()
        stmt = select(col(InsightRow.user_id), col(InsightRow.rule_id)).where(
            col(InsightRow.user_id).in_(user_ids), col(InsightRow.rule_id).in_(rule_ids),
            col(InsightRow.created_at) > since).distinct()
        return {(u, r) for u, r in (await self.session.execute(stmt)).all()}

    async def relabel_insights(self, user_id: str, locale: str) -> None:
        """The owner's insights read in their new language from now on (each holds every locale's text)."""
        await self.session.execute(update(InsightRow).where(col(InsightRow.user_id) == user_id)
                                   .values(locale=locale))

    async def insights_by_ids(self, ids: Sequence[str]) -> list[InsightRow]:
        stmt = select(InsightRow).where(col(InsightRow.id).in_(ids))
        return list((await self.session.execute(stmt)).scalars())

    async def latest_insights(self, user_ids: Sequence[str], first: int) -> list[InsightRow]:
        """The newest `first` insights of each user, in one query whatever the number of users."""
        rank = func.row_number().over(partition_by=InsightRow.user_id,
                                      order_by=(col(InsightRow.created_at).desc(), col(InsightRow.id).desc()))
        ranked = (select(InsightRow, rank.label("rank"))
                  .where(col(InsightRow.user_id).in_(user_ids)).subquery())
        stmt = (select(InsightRow).from_statement(
            select(ranked).where(ranked.c.rank <= first)
            .order_by(ranked.c.user_id, ranked.c.created_at.desc(), ranked.c.id.desc())))
        return list((await self.session.execute(stmt)).scalars())
