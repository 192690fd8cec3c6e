"""Settling what we did not hear back about: orders whose confirm or charge timed out, checkouts nobody
finished, and webhooks. The provider's own record is the truth; a webhook only says where to look."""

from __future__ import annotations

import logging
from datetime import datetime

from libs.time import as_utc, utcnow
from subgraphs.payment.domain import OrderKind, OrderStatus
from subgraphs.payment.models import OrderRow, WebhookRow
from subgraphs.payment.providers import PaymentNotFound, ProviderError, ProviderPayment, WebhookHint
from subgraphs.payment.service.refunds import Refunds
from subgraphs.payment.service.renewals import Renewals

log = logging.getLogger("manpasik.payment.reconcile")


class Reconciliation(Renewals, Refunds):
    async def reconcile_order(self, order_id: str, now: datetime | None = None) -> bool:
        """Asks the provider about one open order and records its answer; True when the order changed."""
        now = now or utcnow()
        order = await self._lock_order(order_id)
        if order is None or order.status not in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
            return False
        try:
            paid = await self.provider.payment_for_order(order.id)
        except PaymentNotFound:
            return self._never_reached(order, now)
        except ProviderError:
            return False  # the provider is away: next round
        return await self._apply(order, paid)

    async def _lock_order(self, order_id: str) -> OrderRow | None:
        """Locks in the order the scheduler does (subscription, then order): no deadlock between them."""
        order = await self.repo.order(order_id)
        if order is None:
            return None
        if order.subscription_id is not None:
            await self.repo.subscription(order.subscription_id, lock=True)
        await self.repo.lock(order)
        return order

    def _never_reached(self, order: OrderRow, now: datetime) -> bool:
        if order.status == OrderStatus.UNKNOWN:
            # The provider has no payment for it: our call never arrived. Open again; a renewal is charged
            # again at once, with the same idempotency key.
            order.status, order.updated_at = OrderStatus.PENDING, now
            return True
        if order.kind == OrderKind.CHECKOUT and as_utc(order.created_at) < now - self.deps.order_ttl:
            order.status, order.updated_at = OrderStatus.EXPIRED, now
            return True
        return False

    async def _apply(self, order: OrderRow, paid: ProviderPayment) -> bool:
        before = order.status
        confirmed = await self.settle(order, paid)
        if confirmed is not None and order.kind == OrderKind.RENEWAL:
            log.info("renewal order %s settled by reconciliation", order.id)
        return order.status != before

    async def receive_webhook(self, hint: WebhookHint) -> bool:
        """Stores a delivery once (by its dedupe key); False for a repeat. Handled later by the worker."""
        if await self.repo.webhook_seen(hint.dedupe_key):
            return False
        self.repo.add(
            WebhookRow(
                dedupe_key=hint.dedupe_key,
                provider=self.provider.name,
                event_type=hint.event_type[:60],
                payment_key=hint.payment_key,
            )
        )
        return True

    async def handle_webhook(self, row: WebhookRow) -> None:
        """Re-fetches the payment the webhook names and reconciles with what the provider says."""
        row.attempts += 1
        if row.payment_key is None:
            row.handled_at = utcnow()
            return
        try:
            paid = await self.provider.payment(row.payment_key)
        except PaymentNotFound:
            row.handled_at = utcnow()  # no such payment at the provider: a forgery or a mistake
            return
        except ProviderError:
            return  # unhandled: the next pass asks again
        row.handled_at = utcnow()
        order = await self._lock_order(paid.order_id)
        if order is None:
            return  # not one of ours
        if order.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
            await self._apply(order, paid)
            return
        payment = await self.repo.payment_for_order(order.id, lock=True)
        if payment is not None and payment.payment_key == paid.key:
            await self.sync_cancels(payment, paid)  # e.g. refunded from the provider's dashboard
