"""The bookkeeping every payment path shares: settling an order the provider approved (payment, subscription,
invoice, events, in the caller's one transaction), recording refunds, failing a renewal.

Whatever path learns of a payment first (the confirm call, the renewal charge, a webhook, reconciliation),
the order row is locked and the payment is recorded once: the second path finds it recorded.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from libs.events import OutboxBase
from libs.time import as_utc, utcnow
from subgraphs.payment import events
from subgraphs.payment.domain import (
    ENTITLED,
    INVOICE_COUNTER,
    Dunning,
    Interval,
    OrderKind,
    OrderStatus,
    RefundStatus,
    SubscriptionStatus,
    invoice_number,
    payment_status,
    period_end,
)
from subgraphs.payment.models import InvoiceRow, OrderRow, PaymentRow, PlanRow, RefundRow, SubscriptionRow
from subgraphs.payment.money import Money
from subgraphs.payment.providers import PaymentProvider, ProviderPayment, ProviderStatus
from subgraphs.payment.repository import PaymentRepository

log = logging.getLogger("manpasik.payment")


@dataclass(frozen=True, slots=True)
class PaymentDeps:
    """What the rules need besides the repository."""

    provider: PaymentProvider
    dunning: Dunning
    order_ttl: timedelta = timedelta(minutes=45)
    reconcile_after: timedelta = timedelta(minutes=1)


@dataclass(slots=True)
class Confirmed:
    payment: PaymentRow
    subscription: SubscriptionRow | None
    plan: PlanRow


@dataclass(slots=True)
class Outcome:
    """What a worker's unit of work did (its outbox rows are published after the commit)."""

    done: bool = False
    outbox: list[OutboxBase] = field(default_factory=list)


class Ledger:
    def __init__(self, repo: PaymentRepository, deps: PaymentDeps) -> None:
        self.repo = repo
        self.deps = deps
        self.outbox: list[OutboxBase] = []  # this unit of work's events, for publishing after the commit

    @property
    def provider(self) -> PaymentProvider:
        return self.deps.provider

    def _emit(self, *items: events.CloudEvent) -> None:
        self.outbox += [self.repo.add_event(e) for e in items]

    async def _plan(self, plan_id: str) -> PlanRow:
        plan = await self.repo.plan(plan_id)
        if plan is None:
            raise LookupError(f"plan {plan_id!r} is gone")
        return plan

    # -- settling an approved payment -----------------------------------------------------------------------

    async def settle(self, order: OrderRow, paid: ProviderPayment) -> Confirmed | None:
        """Records what the provider says of a locked order: approved -> payment, subscription, invoice and
        their events; failed -> the order fails; pending -> nothing yet. None unless the order is paid."""
        expected = Money(order.amount, order.currency)
        if paid.order_id != order.id or paid.total != expected:
            # Never record a payment that is not exactly this order's (a tampered widget amount, a mix-up).
            log.error(
                "payment %s does not match order %s (%s, expected %s)",
                paid.key,
                order.id,
                paid.total,
                expected,
            )
            return None
        existing = await self.repo.payment_for_order(order.id, lock=True)
        if existing is not None:
            await self.sync_cancels(existing, paid)
            return Confirmed(
                existing, await self.repo.subscription_of(existing.user_id), await self._plan(order.plan_id)
            )
        if paid.status is ProviderStatus.PENDING:
            return None
        plan = await self._plan(order.plan_id)
        if paid.status is ProviderStatus.FAILED:
            await self.fail_order(order, plan, "PAYMENT_ABORTED")
            return None
        now = utcnow()
        order.status, order.payment_key, order.updated_at = OrderStatus.PAID, paid.key, now
        payment = PaymentRow(
            id=str(uuid.uuid4()),
            user_id=order.user_id,
            order_id=order.id,
            provider=self.provider.name,
            payment_key=paid.key,
            amount=order.amount,
            currency=order.currency,
            status="PAID",
            method=paid.method,
            approved_at=paid.approved_at or now,
        )
        sub = await self._extend_subscription(order, plan, now)
        payment.subscription_id = sub.id
        self.repo.add(payment)
        await self.repo.flush()  # the payment exists before refunds or invoices point at it
        invoice = await self._invoice(payment, now)
        self._emit(events.payment_succeeded(payment, order, plan), events.invoice_issued(invoice))
        if paid.cancels:  # refunded at the provider before we heard of it
            await self.sync_cancels(payment, paid)
        return Confirmed(payment, sub, plan)

    async def _extend_subscription(self, order: OrderRow, plan: PlanRow, now: datetime) -> SubscriptionRow:
        sub = await self.repo.subscription_of(order.user_id, lock=True)
        interval = Interval(plan.interval)
        if order.kind == OrderKind.RENEWAL and sub is not None and sub.id == order.subscription_id:
            sub.period = order.period or sub.period + 1
            sub.current_period_start = sub.current_period_end
            sub.current_period_end = period_end(as_utc(sub.anchor_at), interval, sub.period)
            renewed = True
        else:
            if sub is None:
                sub = SubscriptionRow(
                    id=str(uuid.uuid4()),
                    user_id=order.user_id,
                    plan_id=plan.id,
                    status=SubscriptionStatus.ACTIVE,
                    current_period_start=now,
                    current_period_end=now,
                    anchor_at=now,
                )
                self.repo.add(sub)
            if sub.status in ENTITLED and sub.plan_id == plan.id and as_utc(sub.current_period_end) > now:
                start = as_utc(sub.current_period_end)  # paid again before the end: one more period after it
            else:
                start = now  # new, ended, or another plan: starts now
            sub.plan_id, sub.anchor_at, sub.period = plan.id, start, 1
            sub.current_period_start, sub.current_period_end = now, period_end(start, interval)
            renewed = False
        sub.status = SubscriptionStatus.ACTIVE
        sub.cancel_at_period_end, sub.canceled_at, sub.cancel_reason = False, None, None
        sub.failed_attempts = 0
        sub.next_charge_at = sub.current_period_end
        sub.locale = order.locale or sub.locale
        sub.updated_at = now
        self._emit(
            events.subscription_renewed(sub, plan) if renewed else events.subscription_activated(sub, plan)
        )
        return sub

    async def _invoice(self, payment: PaymentRow, now: datetime) -> InvoiceRow:
        seq = await self.repo.next_number(INVOICE_COUNTER)  # locked until commit: numbers without gaps
        invoice = InvoiceRow(
            id=str(uuid.uuid4()),
            seq=seq,
            number=invoice_number(seq),
            user_id=payment.user_id,
            payment_id=payment.id,
            amount=payment.amount,
            currency=payment.currency,
            status="PAID",
            issued_at=now,
        )
        self.repo.add(invoice)
        return invoice

    async def fail_order(self, order: OrderRow, plan: PlanRow, reason: str) -> None:
        order.status, order.failure, order.updated_at = OrderStatus.FAILED, reason[:300], utcnow()
        if order.kind == OrderKind.CHECKOUT:  # renewals announce their own failure (renewal_failed)
            self._emit(events.payment_failed(order, plan, reason))

    # -- refunds --------------------------------------------------------------------------------------------

    def complete_refund(
        self, refund: RefundRow, payment: PaymentRow, reference: str, locale: str | None
    ) -> None:
        refund.status, refund.provider_reference, refund.done_at = RefundStatus.DONE, reference, utcnow()
        self._emit(events.payment_refunded(refund, payment, locale))

    async def sync_cancels(self, payment: PaymentRow, paid: ProviderPayment) -> None:
        """Cancels the provider knows and we do not (made at the provider, or ours whose answer was lost)
        become refunds: a pending refund of ours of the same amount takes the reference, else a new one."""
        if not paid.cancels:
            return
        refunds = await self.repo.refunds_of(payment.id)
        known = {r.provider_reference for r in refunds if r.provider_reference}
        pending = sorted((r for r in refunds if r.status == RefundStatus.PENDING), key=lambda r: r.created_at)
        locale = await self._locale(payment.user_id)
        for cancel in paid.cancels:
            if cancel.reference in known:
                continue
            mine = next((r for r in pending if r.amount == cancel.amount), None)
            if mine is not None:
                pending.remove(mine)
                self.complete_refund(mine, payment, cancel.reference, locale)
                continue
            if payment.refunded_amount + cancel.amount > payment.amount:
                log.error("provider cancel %s exceeds payment %s", cancel.reference, payment.id)
                continue
            refund = RefundRow(
                id=str(uuid.uuid4()),
                payment_id=payment.id,
                user_id=payment.user_id,
                amount=cancel.amount,
                currency=payment.currency,
                reason="canceled at the provider",
                status=RefundStatus.PENDING,
            )
            self.repo.add(refund)
            payment.refunded_amount += cancel.amount
            self.complete_refund(refund, payment, cancel.reference, locale)
        payment.status = payment_status(payment.amount, payment.refunded_amount)
        await self._after_refund(payment)

    async def _after_refund(self, payment: PaymentRow) -> None:
        """A payment refunded in full takes back what it bought: the subscription period it paid for ends."""
        invoice = await self.repo.invoice_for_payment(payment.id)
        if invoice is not None:
            invoice.status = payment.status
        if payment.refunded_amount < payment.amount or payment.subscription_id is None:
            return
        sub = await self.repo.subscription(payment.subscription_id, lock=True)
        if (
            sub is None
            or sub.status not in ENTITLED
            or as_utc(payment.approved_at) < as_utc(sub.current_period_start) - timedelta(minutes=1)
        ):
            return  # an older period's payment: the current one was paid separately
        now = utcnow()
        sub.status, sub.next_charge_at, sub.current_period_end, sub.updated_at = (
            SubscriptionStatus.CANCELED,
            None,
            now,
            now,
        )
        sub.cancel_reason = "refunded"
        self._emit(events.subscription_expired(sub, await self._plan(sub.plan_id)))

    async def _locale(self, user_id: str) -> str | None:
        sub = await self.repo.subscription_of(user_id)
        return sub.locale if sub is not None else None
