"""What the payment subgraph publishes on its stream (through the outbox): payment.*, subscription.*,
invoice.issued. Each names its `userId` and, when known, the `locale` the notification is worded in; amounts
are integers in minor units with their currency, plus `amountText` ready for people in each language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from libs.events import CloudEvent
from libs.events.streams import (
    INVOICE_ISSUED,
    PAYMENT_FAILED,
    PAYMENT_REFUNDED,
    PAYMENT_SUCCEEDED,
    SUBSCRIPTION_ACTIVATED,
    SUBSCRIPTION_CANCELED,
    SUBSCRIPTION_EXPIRED,
    SUBSCRIPTION_RENEWAL_FAILED,
    SUBSCRIPTION_RENEWED,
)
from libs.time import as_utc
from subgraphs.payment.models import InvoiceRow, OrderRow, PaymentRow, PlanRow, RefundRow, SubscriptionRow
from subgraphs.payment.money import Money

SOURCE = "/subgraphs/payment"


def _money(amount: int, currency: str) -> dict[str, Any]:
    m = Money(amount, currency)
    return {
        "amount": amount,
        "currency": currency,
        "amountText": {"ko": m.display("ko"), "en": m.display("en")},
    }


def _iso(at: datetime | None) -> str | None:
    return None if at is None else as_utc(at).isoformat()


def _base(user_id: str, locale: str | None) -> dict[str, Any]:
    return {"userId": user_id, **({"locale": locale} if locale else {})}


def _plan(plan: PlanRow) -> dict[str, Any]:
    return {"plan": dict(plan.names), "planId": plan.id}


def payment_succeeded(payment: PaymentRow, order: OrderRow, plan: PlanRow) -> CloudEvent:
    return CloudEvent.new(
        PAYMENT_SUCCEEDED,
        SOURCE,
        payment.id,
        {
            **_base(payment.user_id, order.locale),
            "paymentId": payment.id,
            "orderId": order.id,
            **_money(payment.amount, payment.currency),
            **_plan(plan),
            "kind": order.kind,
            "approvedAt": _iso(payment.approved_at),
        },
    )


def payment_failed(order: OrderRow, plan: PlanRow, reason: str) -> CloudEvent:
    return CloudEvent.new(
        PAYMENT_FAILED,
        SOURCE,
        order.id,
        {
            **_base(order.user_id, order.locale),
            "orderId": order.id,
            **_money(order.amount, order.currency),
            **_plan(plan),
            "kind": order.kind,
            "reason": reason,
        },
    )


def payment_refunded(refund: RefundRow, payment: PaymentRow, locale: str | None) -> CloudEvent:
    return CloudEvent.new(
        PAYMENT_REFUNDED,
        SOURCE,
        refund.id,
        {
            **_base(refund.user_id, locale),
            "paymentId": payment.id,
            "refundId": refund.id,
            **_money(refund.amount, refund.currency),
            "refundedTotal": payment.refunded_amount,
            "paymentAmount": payment.amount,
        },
    )


def _subscription(type_: str, sub: SubscriptionRow, plan: PlanRow, **extra: Any) -> CloudEvent:
    return CloudEvent.new(
        type_,
        SOURCE,
        sub.id,
        {
            **_base(sub.user_id, sub.locale),
            "subscriptionId": sub.id,
            **_plan(plan),
            "status": sub.status,
            "periodEnd": _iso(sub.current_period_end),
            **extra,
        },
    )


def subscription_activated(sub: SubscriptionRow, plan: PlanRow) -> CloudEvent:
    return _subscription(SUBSCRIPTION_ACTIVATED, sub, plan)


def subscription_renewed(sub: SubscriptionRow, plan: PlanRow) -> CloudEvent:
    return _subscription(SUBSCRIPTION_RENEWED, sub, plan, period=sub.period)


def subscription_renewal_failed(sub: SubscriptionRow, plan: PlanRow, reason: str) -> CloudEvent:
    # Subject and id per attempt: each failure is news of its own.
    event = _subscription(
        SUBSCRIPTION_RENEWAL_FAILED,
        sub,
        plan,
        attempt=sub.failed_attempts,
        nextAttemptAt=_iso(sub.next_charge_at),
        reason=reason,
        **_money(*_price(plan)),
    )
    return event


def subscription_canceled(sub: SubscriptionRow, plan: PlanRow) -> CloudEvent:
    return _subscription(
        SUBSCRIPTION_CANCELED, sub, plan, endsAt=_iso(sub.current_period_end), reason=sub.cancel_reason
    )


def subscription_expired(sub: SubscriptionRow, plan: PlanRow) -> CloudEvent:
    return _subscription(SUBSCRIPTION_EXPIRED, sub, plan)


def invoice_issued(invoice: InvoiceRow) -> CloudEvent:
    return CloudEvent.new(
        INVOICE_ISSUED,
        SOURCE,
        invoice.id,
        {
            "userId": invoice.user_id,
            "invoiceId": invoice.id,
            "number": invoice.number,
            "paymentId": invoice.payment_id,
            **_money(invoice.amount, invoice.currency),
            "issuedAt": _iso(invoice.issued_at),
        },
    )


def _price(plan: PlanRow) -> tuple[int, str]:
    return plan.price, plan.currency
