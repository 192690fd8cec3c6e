"""The payment subgraph's tables. Money columns are integers in the currency's minor unit, each beside its
currency; the database's own constraints back the rules that must hold under concurrency (refunds never
exceed the payment, one order per subscription period, one invoice number each, gap-free).

Table names carry a `payment_` prefix: SQLModel's metadata is process-wide and tests load several subgraphs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from libs.events import OutboxBase
from libs.time import utcnow


def _at(**kw: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kw)


class PlanRow(SQLModel, table=True):
    __tablename__ = "payment_plans"

    id: str = Field(primary_key=True, max_length=40)  # "premium-monthly"
    names: dict[str, str] = Field(sa_type=JSON)  # {"ko": ..., "en": ...}
    price: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    interval: str = Field(max_length=5)  # MONTH | YEAR
    features: list[str] = Field(sa_type=JSON)  # entitlements it unlocks
    active: bool = True
    sort: int = 0


class PaymentMethodRow(SQLModel, table=True):
    """A user's customer key at the provider and, once registered, their card's billing key."""

    __tablename__ = "payment_methods"

    user_id: str = Field(primary_key=True, max_length=64)
    customer_key: str = Field(max_length=64, unique=True)  # random: Toss asks for an unguessable one
    provider: str = Field(default="toss", max_length=20)
    billing_key: str | None = Field(default=None, max_length=200)
    card_company: str | None = Field(default=None, max_length=40)
    card_number: str | None = Field(default=None, max_length=40)  # masked
    updated_at: datetime = _at(default_factory=utcnow)


class OrderRow(SQLModel, table=True):
    """What we asked to be paid: a checkout (the widget pays it) or a renewal (charged by billing key)."""

    __tablename__ = "payment_orders"
    __table_args__ = (
        # One renewal order per subscription period and attempt: two schedulers cannot both charge it.
        UniqueConstraint("subscription_id", "period", "attempt", name="uq_payment_orders_period"),
        Index("ix_payment_orders_status_updated", "status", "updated_at"),
    )

    id: str = Field(primary_key=True, max_length=64)  # Toss orderId: 6-64 of [A-Za-z0-9_-]
    user_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=10)  # CHECKOUT | RENEWAL
    plan_id: str = Field(max_length=40)
    order_name: str = Field(max_length=100)
    amount: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    # PENDING -> PAID | FAILED | EXPIRED; UNKNOWN while the provider's answer is missing (a timeout)
    status: str = Field(max_length=10)
    payment_key: str | None = Field(default=None, max_length=200)
    subscription_id: str | None = Field(default=None, max_length=36)
    period: int | None = None  # renewals: the subscription period it pays for
    attempt: int | None = None  # renewals: 0, then one more per failed try (dunning)
    locale: str | None = Field(default=None, max_length=35)
    failure: str | None = Field(default=None, max_length=300)
    created_at: datetime = _at(default_factory=utcnow)
    updated_at: datetime = _at(default_factory=utcnow)


class PaymentRow(SQLModel, table=True):
    """A payment the provider approved (a "transaction")."""

    __tablename__ = "payment_transactions"
    __table_args__ = (
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= amount", name="ck_payment_refund_le_paid"
        ),
        Index("ix_payment_transactions_user_approved", "user_id", "approved_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    user_id: str = Field(max_length=64)
    order_id: str = Field(max_length=64, unique=True)
    provider: str = Field(max_length=20)
    payment_key: str = Field(max_length=200, unique=True)
    amount: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    refunded_amount: int = Field(default=0, sa_type=BigInteger)  # refunds done or under way
    status: str = Field(max_length=20)  # PAID | PARTIALLY_REFUNDED | REFUNDED
    method: str | None = Field(default=None, max_length=40)
    subscription_id: str | None = Field(default=None, max_length=36)
    approved_at: datetime = _at()


class RefundRow(SQLModel, table=True):
    __tablename__ = "payment_refunds"

    id: str = Field(primary_key=True, max_length=36)
    payment_id: str = Field(max_length=36, index=True)
    user_id: str = Field(max_length=64)
    amount: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    reason: str = Field(max_length=200)
    status: str = Field(max_length=10)  # PENDING (provider's answer unknown) | DONE
    # The provider's reference of this cancel (Toss transactionKey): unique, so a cancel is recorded once.
    provider_reference: str | None = Field(default=None, max_length=200, unique=True)
    created_at: datetime = _at(default_factory=utcnow)
    done_at: datetime | None = _at(default=None)


class SubscriptionRow(SQLModel, table=True):
    __tablename__ = "payment_subscriptions"
    __table_args__ = (Index("ix_payment_subscriptions_due", "status", "next_charge_at"),)

    id: str = Field(primary_key=True, max_length=36)
    user_id: str = Field(max_length=64, unique=True)  # one subscription per user, renewed or replaced
    plan_id: str = Field(max_length=40)
    status: str = Field(max_length=10)  # ACTIVE | PAST_DUE | CANCELED | EXPIRED
    period: int = 1  # the current period's number (1 for the first)
    anchor_at: datetime = _at()  # period n ends n months (or years) after this: no drift from short months
    current_period_start: datetime = _at()
    current_period_end: datetime = _at()
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = _at(default=None)
    cancel_reason: str | None = Field(default=None, max_length=300)
    # When the scheduler acts next: the renewal at the period's end, a dunning retry, or the expiry.
    next_charge_at: datetime | None = _at(default=None)
    failed_attempts: int = 0
    locale: str | None = Field(default=None, max_length=35)
    created_at: datetime = _at(default_factory=utcnow)
    updated_at: datetime = _at(default_factory=utcnow)


class InvoiceRow(SQLModel, table=True):
    __tablename__ = "payment_invoices"
    __table_args__ = (Index("ix_payment_invoices_user_issued", "user_id", "issued_at"),)

    id: str = Field(primary_key=True, max_length=36)
    seq: int = Field(unique=True, sa_type=BigInteger)  # 1, 2, 3, ... with no gap
    number: str = Field(max_length=30, unique=True)  # "MPS-000001"
    user_id: str = Field(max_length=64)
    payment_id: str = Field(max_length=36, unique=True)
    amount: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    status: str = Field(max_length=20)  # PAID | PARTIALLY_REFUNDED | REFUNDED
    issued_at: datetime = _at()


class CounterRow(SQLModel, table=True):
    """Gap-free sequences (invoice numbers): incremented under a row lock in the issuing transaction, so a
    rolled-back issue gives its number back. A database sequence would leave gaps."""

    __tablename__ = "payment_counters"

    name: str = Field(primary_key=True, max_length=40)
    value: int = Field(default=0, sa_type=BigInteger)


class WebhookRow(SQLModel, table=True):
    """Webhook deliveries, deduplicated by their key, handled (re-fetched, reconciled) by the worker."""

    __tablename__ = "payment_webhooks"

    dedupe_key: str = Field(primary_key=True, max_length=100)
    provider: str = Field(max_length=20)
    event_type: str = Field(max_length=60)
    payment_key: str | None = Field(default=None, max_length=200)
    received_at: datetime = _at(default_factory=utcnow)
    handled_at: datetime | None = _at(default=None, index=True)
    attempts: int = 0


class PaymentOutbox(OutboxBase, table=True):
    __tablename__ = "payment_outbox"
