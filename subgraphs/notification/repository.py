"""Every query of the notification subgraph."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.events.ledger import EventLedger
from subgraphs.notification.models import (
    NotificationOutbox,
    NotificationProcessedEvent,
    NotificationRow,
    PreferenceRow,
    PushDeliveryRow,
    PushTokenRow,
    UserSettingsRow,
)


class NotificationRepository(EventLedger):
    processed_model = NotificationProcessedEvent
    outbox_model = NotificationOutbox

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- settings and preferences ---------------------------------------------------------------------------

    async def user_settings(self, user_id: str) -> UserSettingsRow | None:
        return await self.session.get(UserSettingsRow, user_id)

    async def settings_of(self, user_ids: Sequence[str]) -> dict[str, UserSettingsRow]:
        stmt = select(UserSettingsRow).where(col(UserSettingsRow.user_id).in_(user_ids))
        return {r.user_id: r for r in (await self.session.execute(stmt)).scalars()}

    async def preferences_of(self, user_ids: Sequence[str]) -> list[PreferenceRow]:
        stmt = select(PreferenceRow).where(col(PreferenceRow.user_id).in_(user_ids))
        return list((await self.session.execute(stmt)).scalars())

    def save_settings(self, row: UserSettingsRow) -> None:
        self.session.add(row)

    async def preferences(self, user_id: str) -> list[PreferenceRow]:
        stmt = select(PreferenceRow).where(col(PreferenceRow.user_id) == user_id)
        return list((await self.session.execute(stmt)).scalars())

    async def set_preference(self, user_id: str, type_: str, channel: str, enabled: bool) -> None:
        row = await self.session.get(PreferenceRow, (user_id, type_, channel))
        if row is None:
            self.session.add(PreferenceRow(user_id=user_id, type=type_, channel=channel, enabled=enabled))
        else:
            row.enabled = enabled

    # -- notifications --------------------------------------------------------------------------------------

    def add_notification(self, row: NotificationRow) -> None:
        self.session.add(row)

    async def notifications_by_ids(self, ids: Sequence[str]) -> list[NotificationRow]:
        stmt = select(NotificationRow).where(col(NotificationRow.id).in_(ids))
        return list((await self.session.execute(stmt)).scalars())

    async def page(self, user_id: str, limit: int,
                   after: tuple[datetime, str] | None) -> list[NotificationRow]:
        """Newest first, keyset-paginated on (created_at, id): stable while new notifications arrive."""
        stmt = select(NotificationRow).where(col(NotificationRow.user_id) == user_id,
                                             col(NotificationRow.in_app).is_(True))
        if after is not None:
            at, last_id = after
            created, nid = col(NotificationRow.created_at), col(NotificationRow.id)
            stmt = stmt.where(or_(created < at, and_(created == at, nid < last_id)))
        stmt = stmt.order_by(col(NotificationRow.created_at).desc(), col(NotificationRow.id).desc())
        stmt = stmt.limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def unread_counts(self, user_ids: Sequence[str]) -> dict[str, int]:
        stmt = (select(col(NotificationRow.user_id), func.count())
                .where(col(NotificationRow.user_id).in_(user_ids), col(NotificationRow.read_at).is_(None),
                       col(NotificationRow.in_app).is_(True))
                .group_by(col(NotificationRow.user_id)))
        return {u: int(n) for u, n in (await self.session.execute(stmt)).all()}

    async def mark_read(self, user_id: str, ids: Sequence[str], at: datetime) -> int:
        stmt = (update(NotificationRow)
                .where(col(NotificationRow.user_id) == user_id, col(NotificationRow.id).in_(ids),
                       col(NotificationRow.read_at).is_(None))
                .values(read_at=at))
        result = await self.session.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # -- push -----------------------------------------------------------------------------------------------

    async def tokens(self, user_id: str) -> list[PushTokenRow]:
        stmt = select(PushTokenRow).where(col(PushTokenRow.user_id) == user_id)
        return list((await self.session.execute(stmt)).scalars())

    async def tokens_of(self, user_ids: Sequence[str]) -> dict[str, list[PushTokenRow]]:
        stmt = select(PushTokenRow).where(col(PushTokenRow.user_id).in_(user_ids))
        out: dict[str, list[PushTokenRow]] = {}
        for row in (await self.session.execute(stmt)).scalars():
            out.setdefault(row.user_id, []).append(row)
        return out

    async def upsert_token(self, user_id: str, token: str, platform: str, at: datetime) -> None:
        row = await self.session.get(PushTokenRow, token)
        if row is None:
            self.session.add(PushTokenRow(token=token, user_id=user_id, platform=platform, created_at=at,
                                          last_seen_at=at))
        else:  # a device that changed hands (or apps) belongs to whoever registered it last
            row.user_id, row.platform, row.last_seen_at = user_id, platform, at

    async def delete_token(self, token: str, user_id: str | None = None) -> int:
        stmt = delete(PushTokenRow).where(col(PushTokenRow.token) == token)
        if user_id is not None:
            stmt = stmt.where(col(PushTokenRow.user_id) == user_id)
        result = await self.session.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def add_delivery(self, row: PushDeliveryRow) -> None:
        self.session.add(row)

    async def due_deliveries(self, now: datetime,
                             limit: int) -> list[tuple[PushDeliveryRow, NotificationRow]]:
        stmt = (select(PushDeliveryRow, NotificationRow)
                .join(NotificationRow, col(NotificationRow.id) == col(PushDeliveryRow.notification_id))
                .where(col(PushDeliveryRow.status) == "PENDING", col(PushDeliveryRow.next_attempt_at) <= now)
                .order_by(col(PushDeliveryRow.next_attempt_at)).limit(limit))
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(of=PushDeliveryRow, skip_locked=True)
        return [(d, n) for d, n in (await self.session.execute(stmt)).all()]

    async def prune_deliveries(self, older_than: datetime) -> int:
        """Deletes deliveries that reached a final state before `older_than`."""
        stmt = delete(PushDeliveryRow).where(col(PushDeliveryRow.status) != "PENDING",
                                             col(PushDeliveryRow.next_attempt_at) < older_than)
        result = await self.session.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def deliveries_for(self, notification_ids: Sequence[str]) -> list[PushDeliveryRow]:
        stmt = select(PushDeliveryRow).where(col(PushDeliveryRow.notification_id).in_(notification_ids))
        return list((await self.session.execute(stmt)).scalars())
