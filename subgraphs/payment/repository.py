"""Every query of the payment subgraph. Rows that money depends on are read `FOR UPDATE` (PostgreSQL row
locks; SQLite, the embedded default, has one writer at a time anyway)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel, col

from libs.db.uow import SessionRepository
from libs.events import CloudEvent, OutboxBase, add_to_outbox
from libs.events.streams import PAYMENT_STREAM
from libs.time import utcnow
from subgraphs.payment.models import (
    CounterRow,
    InvoiceRow,
    OrderRow,
    PaymentMethodRow,
    PaymentOutbox,
    PaymentRow,
    PlanRow,
    RefundRow,
    SubscriptionRow,
    WebhookRow,
)

M = TypeVar("M", bound=SQLModel)


class PaymentRepository(SessionRepository):
    @property
    def locks(self) -> bool:
        """Row locks exist (PostgreSQL); SQLite serialises writers instead."""
        return self.session.get_bind().dialect.name == "postgresql"

    def _locked(self, stmt: Select[Any], *, skip_locked: bool = False) -> Select[Any]:
        if self.locks:
            return stmt.with_for_update(skip_locked=skip_locked)
        return stmt

    async def _one(self, stmt: Select[Any]) -> Any:
        return (await self.session.execute(stmt)).scalars().first()

    def add(self, *rows: SQLModel) -> None:
        self.session.add_all(rows)

    async def delete(self, row: SQLModel) -> None:
        await self.session.delete(row)

    async def flush(self) -> None:
        await self.session.flush()

    def add_event(self, event: CloudEvent) -> OutboxBase:
        return add_to_outbox(self.session, PaymentOutbox, PAYMENT_STREAM, event)

    # -- plans ----------------------------------------------------------------------------------------------

    async def plans(self) -> list[PlanRow]:
        stmt = select(PlanRow).where(col(PlanRow.active)).order_by(col(PlanRow.sort), col(PlanRow.id))
        return list((await self.session.execute(stmt)).scalars())

    async def plan(self, plan_id: str) -> PlanRow | None:
        return await self.session.get(PlanRow, plan_id)

    async def plans_by_ids(self, ids: Sequence[str]) -> dict[str, PlanRow]:
        stmt = select(PlanRow).where(col(PlanRow.id).in_(ids))
        return {p.id: p for p in (await self.session.execute(stmt)).scalars()}

    # -- customers and cards --------------------------------------------------------------------------------

    async def method(self, user_id: str, *, lock: bool = False) -> PaymentMethodRow | None:
        stmt = select(PaymentMethodRow).where(col(PaymentMethodRow.user_id) == user_id)
        return await self._one(self._locked(stmt) if lock else stmt)

    async def lock(self, row: SQLModel) -> None:
        """Re-reads a row already loaded, locked until this transaction ends."""
        await self.session.refresh(row, with_for_update=True if self.locks else None)

    async def ensure_method(self, user_id: str, customer_key: str) -> None:
        """Creates the user's row unless it exists (two first checkouts at once make one)."""
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert(PaymentMethodRow).values(
            user_id=user_id, customer_key=customer_key, provider="toss", updated_at=utcnow()
        )
        await self.session.execute(stmt.on_conflict_do_nothing(index_elements=["user_id"]))

    async def methods_by_user(self, user_ids: Sequence[str]) -> dict[str, PaymentMethodRow]:
        stmt = select(PaymentMethodRow).where(col(PaymentMethodRow.user_id).in_(user_ids))
        return {m.user_id: m for m in (await self.session.execute(stmt)).scalars()}

    # -- orders ---------------------------------------------------------------------------------------------

    async def order(self, order_id: str, *, lock: bool = False) -> OrderRow | None:
        stmt = select(OrderRow).where(col(OrderRow.id) == order_id)
        return await self._one(self._locked(stmt) if lock else stmt)

    async def renewal_order(self, subscription_id: str, period: int, attempt: int) -> OrderRow | None:
        stmt = select(OrderRow).where(
            col(OrderRow.subscription_id) == subscription_id,
            col(OrderRow.period) == period,
            col(OrderRow.attempt) == attempt,
        )
        return await self._one(self._locked(stmt))

    async def orders_to_reconcile(
        self, unknown_before: datetime, pending_before: datetime, limit: int
    ) -> list[str]:
        """Orders whose provider answer is missing, and checkouts nobody finished, oldest first."""
        stmt = (
            select(col(OrderRow.id))
            .where(
                ((col(OrderRow.status) == "UNKNOWN") & (col(OrderRow.updated_at) < unknown_before))
                | ((col(OrderRow.status) == "PENDING") & (col(OrderRow.updated_at) < pending_before))
            )
            .order_by(col(OrderRow.updated_at))
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    # -- payments -------------------------------------------------------------------------------------------

    async def payment(self, payment_id: str, *, lock: bool = False) -> PaymentRow | None:
        stmt = select(PaymentRow).where(col(PaymentRow.id) == payment_id)
        return await self._one(self._locked(stmt) if lock else stmt)

    async def payment_for_order(self, order_id: str, *, lock: bool = False) -> PaymentRow | None:
        stmt = select(PaymentRow).where(col(PaymentRow.order_id) == order_id)
        return await self._one(self._locked(stmt) if lock else stmt)

    async def payments_by_ids(self, ids: Sequence[str]) -> list[PaymentRow]:
        stmt = select(PaymentRow).where(col(PaymentRow.id).in_(ids))
        return list((await self.session.execute(stmt)).scalars())

    async def latest_payments(
        self, user_ids: Sequence[str], first: int, before: tuple[datetime, str] | None = None
    ) -> list[PaymentRow]:
        return await self._latest(PaymentRow, PaymentRow.approved_at, user_ids, first, before)

    async def _latest(
        self,
        model: type[M],
        at: Any,
        user_ids: Sequence[str],
        first: int,
        before: tuple[datetime, str] | None,
    ) -> list[M]:
        """The newest `first` rows of each user (by `at`, then id), in one query whatever the number of
        users; `before`: a cursor (one user's next page)."""
        id_col = model.id  # type: ignore[attr-defined]
        user_col = model.user_id  # type: ignore[attr-defined]
        where: list[Any] = [col(user_col).in_(user_ids)]
        if before is not None:
            where.append((col(at) < before[0]) | ((col(at) == before[0]) & (col(id_col) < before[1])))
        rank = func.row_number().over(partition_by=user_col, order_by=(col(at).desc(), col(id_col).desc()))
        ranked = select(model, rank.label("rank")).where(*where).subquery()
        stmt = select(model).from_statement(
            select(ranked)
            .where(ranked.c.rank <= first)
            .order_by(ranked.c.user_id, getattr(ranked.c, at.key).desc(), ranked.c.id.desc())
        )
        return list((await self.session.execute(stmt)).scalars())

    # -- refunds --------------------------------------------------------------------------------------------

    async def refunds_of(self, payment_id: str) -> list[RefundRow]:
        stmt = select(RefundRow).where(col(RefundRow.payment_id) == payment_id)
        return list((await self.session.execute(stmt)).scalars())

    async def pending_refunds(self, before: datetime, limit: int) -> list[str]:
        stmt = (
            select(col(RefundRow.id))
            .where(col(RefundRow.status) == "PENDING", col(RefundRow.created_at) < before)
            .order_by(col(RefundRow.created_at))
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def refund(self, refund_id: str, *, lock: bool = False) -> RefundRow | None:
        stmt = select(RefundRow).where(col(RefundRow.id) == refund_id)
        return await self._one(self._locked(stmt) if lock else stmt)

    # -- subscriptions --------------------------------------------------------------------------------------

    async def subscription_of(self, user_id: str, *, lock: bool = False) -> SubscriptionRow | None:
        stmt = select(SubscriptionRow).where(col(SubscriptionRow.user_id) == user_id)
        return await self._one(self._locked(stmt) if lock else stmt)

    async def subscriptions_of(self, user_ids: Sequence[str]) -> dict[str, SubscriptionRow]:
        stmt = select(SubscriptionRow).where(col(SubscriptionRow.user_id).in_(user_ids))
        return {s.user_id: s for s in (await self.session.execute(stmt)).scalars()}

    async def subscription(self, subscription_id: str, *, lock: bool = False) -> SubscriptionRow | None:
        stmt = select(SubscriptionRow).where(col(SubscriptionRow.id) == subscription_id)
        return await self._one(self._locked(stmt) if lock else stmt)

    async def claim_due_subscription(self, now: datetime) -> SubscriptionRow | None:
        """One subscription whose renewal, retry or expiry is due, locked for this transaction; rows another
        scheduler holds are skipped (SKIP LOCKED), so several schedulers share the work."""
        stmt = (
            select(SubscriptionRow)
            .where(
                col(SubscriptionRow.status).in_(("ACTIVE", "PAST_DUE")),
                col(SubscriptionRow.next_charge_at) <= now,
            )
            .order_by(col(SubscriptionRow.next_charge_at))
            .limit(1)
        )
        return await self._one(self._locked(stmt, skip_locked=True))

    # -- invoices -------------------------------------------------------------------------------------------

    async def next_number(self, name: str) -> int:
        """The counter's next value, under its row lock until this transaction ends (gap-free)."""
        stmt = (
            update(CounterRow)
            .where(col(CounterRow.name) == name)
            .values(value=CounterRow.value + 1)
            .returning(col(CounterRow.value))
        )
        value = (await self.session.execute(stmt)).scalar_one_or_none()
        if value is None:
            raise LookupError(f"no counter {name!r} (migrations create it)")
        return int(value)

    async def invoice_for_payment(self, payment_id: str) -> InvoiceRow | None:
        stmt = select(InvoiceRow).where(col(InvoiceRow.payment_id) == payment_id)
        return await self._one(stmt)

    async def latest_invoices(
        self, user_ids: Sequence[str], first: int, before: tuple[datetime, str] | None = None
    ) -> list[InvoiceRow]:
        return await self._latest(InvoiceRow, InvoiceRow.issued_at, user_ids, first, before)

    # -- webhooks -------------------------------------------------------------------------------------------

    async def webhook_seen(self, dedupe_key: str) -> bool:
        return await self.session.get(WebhookRow, dedupe_key) is not None

    async def unhandled_webhooks(self, limit: int) -> list[WebhookRow]:
        stmt = (
            select(WebhookRow)
            .where(col(WebhookRow.handled_at).is_(None))
            .order_by(col(WebhookRow.received_at))
            .limit(limit)
        )
        return list((await self.session.execute(self._locked(stmt, skip_locked=True))).scalars())
