"""GraphQL types of the payment subgraph (never the tables themselves), including its part of the federated
`User`. Payments, invoices, cards and subscriptions are personal: each field says who may read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension

from libs.auth.fields import owner_or_roles
from libs.auth.viewer import Role
from libs.graphql.cursor import encode_cursor
from libs.time import as_utc
from subgraphs.payment import loaders
from subgraphs.payment.context import Info
from subgraphs.payment.domain import ENTITLED, Interval, PaymentStatus, RefundStatus, SubscriptionStatus
from subgraphs.payment.models import (
    InvoiceRow,
    PaymentMethodRow,
    PaymentRow,
    PlanRow,
    RefundRow,
    SubscriptionRow,
)
from subgraphs.payment.service import PaymentService

# The domain enums become GraphQL enums in place.
strawberry.enum(Interval, name="BillingInterval")
strawberry.enum(PaymentStatus, name="PaymentStatus")
strawberry.enum(RefundStatus, name="RefundStatus")
strawberry.enum(
    SubscriptionStatus,
    name="SubscriptionStatus",
    description="PAST_DUE: a renewal failed and is retried; features stay on meanwhile",
)


def _language(locale: str | None) -> str:
    return "ko" if (locale or "ko").lower().startswith("ko") else "en"


def owner_or_staff(owner: Any, data: str) -> list[FieldExtension]:
    """The owner, or an ADMIN (support cases, refunds)."""
    return [owner_or_roles(Role.ADMIN, owner=owner, message=f"you may only access your own {data}")]


def user_only(data: str) -> list[FieldExtension]:
    return [owner_or_roles(owner=lambda user: str(user.id), message=f"you may only access your own {data}")]


@strawberry.type(
    description="What a subscription costs and unlocks. Prices are integers in the currency's "
    "minor unit (KRW has none: 9900 is 9,900원)."
)
class Plan:
    row: strawberry.Private[PlanRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(description="in `locale` (ko or en; default ko)")
    def name(self, locale: str | None = None) -> str:
        return self.row.names.get(_language(locale)) or self.row.names.get("en") or self.row.id

    @strawberry.field
    def price(self) -> int:
        return self.row.price

    @strawberry.field
    def currency(self) -> str:
        return self.row.currency

    @strawberry.field
    def interval(self) -> Interval:
        return Interval(self.row.interval)

    @strawberry.field(description="the entitlements it unlocks")
    def features(self) -> list[str]:
        return list(self.row.features)


@strawberry.type(description="An order for the payment widget: pay exactly `amount` in `currency`.")
class Checkout:
    order_id: strawberry.ID
    order_name: str
    amount: int
    currency: str
    customer_key: str = strawberry.field(description="the customer key for the widget and card registration")


def _payment_owner(p: Payment) -> str:
    return p.row.user_id


@strawberry.type
class Payment:
    row: strawberry.Private[PaymentRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(extensions=owner_or_staff(_payment_owner, "payments"))
    def status(self) -> PaymentStatus:
        return PaymentStatus(self.row.status)

    @strawberry.field(extensions=owner_or_staff(_payment_owner, "payments"))
    def amount(self) -> int:
        return self.row.amount

    @strawberry.field(extensions=owner_or_staff(_payment_owner, "payments"))
    def currency(self) -> str:
        return self.row.currency

    @strawberry.field(extensions=owner_or_staff(_payment_owner, "payments"))
    def method(self) -> str | None:
        return self.row.method

    @strawberry.field(extensions=owner_or_staff(_payment_owner, "payments"))
    def approved_at(self) -> datetime:
        return as_utc(self.row.approved_at)

    @strawberry.field(
        description="refunds done or under way", extensions=owner_or_staff(_payment_owner, "payments")
    )
    def refunded_amount(self) -> int:
        return self.row.refunded_amount


@strawberry.type
class Refund:
    row: strawberry.Private[RefundRow]
    payment_row: strawberry.Private[PaymentRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(description="PENDING while the provider's answer is awaited")
    def status(self) -> RefundStatus:
        return RefundStatus(self.row.status)

    @strawberry.field
    def amount(self) -> int:
        return self.row.amount

    @strawberry.field
    def currency(self) -> str:
        return self.row.currency

    @strawberry.field
    def reason(self) -> str:
        return self.row.reason

    @strawberry.field
    def created_at(self) -> datetime:
        return as_utc(self.row.created_at)

    @strawberry.field
    def payment(self) -> Payment:
        return Payment(row=self.payment_row)


@strawberry.type
class Invoice:
    row: strawberry.Private[InvoiceRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(description="sequential, without gaps (MPS-00000001, ...)")
    def number(self) -> str:
        return self.row.number

    @strawberry.field
    def amount(self) -> int:
        return self.row.amount

    @strawberry.field
    def currency(self) -> str:
        return self.row.currency

    @strawberry.field
    def issued_at(self) -> datetime:
        return as_utc(self.row.issued_at)

    @strawberry.field
    def status(self) -> PaymentStatus:
        return PaymentStatus(self.row.status)


@strawberry.type(name="PlanSubscription", description="A user's subscription to a plan.")
class PlanSubscription:
    row: strawberry.Private[SubscriptionRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @strawberry.field(description="the plan's id")
    def plan(self) -> str:
        return self.row.plan_id

    @strawberry.field
    async def plan_details(self, info: Info) -> Plan | None:
        row = await loaders.plans(info.context).load(self.row.plan_id)
        return None if row is None else Plan(row=row)

    @strawberry.field
    def status(self) -> SubscriptionStatus:
        return SubscriptionStatus(self.row.status)

    @strawberry.field
    def current_period_start(self) -> datetime:
        return as_utc(self.row.current_period_start)

    @strawberry.field
    def current_period_end(self) -> datetime:
        return as_utc(self.row.current_period_end)

    @strawberry.field(description="renewals stopped: it ends at currentPeriodEnd")
    def cancel_at_period_end(self) -> bool:
        return self.row.cancel_at_period_end

    @strawberry.field(description="when a past-due renewal is tried again")
    def next_attempt_at(self) -> datetime | None:
        if self.row.status != SubscriptionStatus.PAST_DUE or self.row.next_charge_at is None:
            return None
        return as_utc(self.row.next_charge_at)


@strawberry.type
class PaymentMethod:
    card_company: str | None
    card_number: str | None = strawberry.field(description="masked by the provider")
    customer_key: str
    renews_automatically: bool = strawberry.field(description="a card is registered for renewals")

    @classmethod
    def from_row(cls, row: PaymentMethodRow) -> PaymentMethod:
        return cls(
            card_company=row.card_company,
            card_number=row.card_number,
            customer_key=row.customer_key,
            renews_automatically=row.billing_key is not None,
        )


@strawberry.type
class ConfirmPaymentResult:
    payment: Payment
    subscription: PlanSubscription | None


@strawberry.input
class ConfirmPaymentInput:
    order_id: strawberry.ID
    payment_key: str
    amount: int = strawberry.field(description="must equal the order's amount")


@strawberry.input
class RequestRefundInput:
    payment_id: strawberry.ID
    amount: int | None = strawberry.field(default=None, description="omitted: all that is left")
    reason: str | None = None


@strawberry.type
class PaymentPageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class PaymentEdge:
    node: Payment
    cursor: str


@strawberry.type
class PaymentConnection:
    edges: list[PaymentEdge]
    page_info: PaymentPageInfo

    @classmethod
    def of(cls, rows: list[PaymentRow], first: int) -> PaymentConnection:
        edges = [
            PaymentEdge(node=Payment(row=r), cursor=encode_cursor(r.approved_at, r.id)) for r in rows[:first]
        ]
        return cls(
            edges=edges,
            page_info=PaymentPageInfo(
                has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None
            ),
        )


@strawberry.type
class InvoiceEdge:
    node: Invoice
    cursor: str


@strawberry.type
class InvoiceConnection:
    edges: list[InvoiceEdge]
    page_info: PaymentPageInfo

    @classmethod
    def of(cls, rows: list[InvoiceRow], first: int) -> InvoiceConnection:
        edges = [
            InvoiceEdge(node=Invoice(row=r), cursor=encode_cursor(r.issued_at, r.id)) for r in rows[:first]
        ]
        return cls(
            edges=edges,
            page_info=PaymentPageInfo(
                has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None
            ),
        )


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> User:
        return cls(id=id)

    # Support and admins see the plan in the admin console (admin.graphql AdminUsers); the rest is the user's.
    @strawberry.field(
        description="the user's subscription (also when ended); null if they never had one",
        extensions=[
            owner_or_roles(
                Role.SUPPORT,
                Role.ADMIN,
                owner=lambda user: str(user.id),
                message="you may only access your own subscription",
            )
        ],
    )
    async def subscription(self, info: Info) -> PlanSubscription | None:
        row = await loaders.subscriptions(info.context).load(str(self.id))
        return None if row is None else PlanSubscription(row=row)

    @strawberry.field(
        description="the features the user's plan unlocks now (empty without one)",
        extensions=user_only("entitlements"),
    )
    async def entitlements(self, info: Info) -> list[str]:
        row = await loaders.subscriptions(info.context).load(str(self.id))
        if row is None or row.status not in ENTITLED:
            return []
        plan = await loaders.plans(info.context).load(row.plan_id)
        return [] if plan is None else list(plan.features)

    @strawberry.field(description="newest first", extensions=user_only("payments"))
    async def payments(self, info: Info, first: int = 10, after: str | None = None) -> PaymentConnection:
        if after is None:
            rows = await loaders.latest_payments(info.context).load((str(self.id), first))
        else:
            async with info.context.read() as repo:
                rows = await PaymentService(repo, info.context.resources.deps).payment_page(
                    str(self.id), first, after
                )
        return PaymentConnection.of(rows, first)

    @strawberry.field(description="newest first", extensions=user_only("invoices"))
    async def invoices(self, info: Info, first: int = 10, after: str | None = None) -> InvoiceConnection:
        if after is None:
            rows = await loaders.latest_invoices(info.context).load((str(self.id), first))
        else:
            async with info.context.read() as repo:
                rows = await PaymentService(repo, info.context.resources.deps).invoice_page(
                    str(self.id), first, after
                )
        return InvoiceConnection.of(rows, first)

    @strawberry.field(description="the card registered for renewals", extensions=user_only("payment method"))
    async def payment_method(self, info: Info) -> PaymentMethod | None:
        row = await loaders.methods(info.context).load(str(self.id))
        return None if row is None else PaymentMethod.from_row(row)
