"""Checkout and confirmation: the server decides the amount, the provider confirms it, once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from libs.errors import BadUserInput
from libs.time import utcnow
from subgraphs.payment import errors
from subgraphs.payment.domain import ENTITLED, ORDER_ID, OrderKind, OrderStatus, new_order_id
from subgraphs.payment.models import OrderRow, PaymentMethodRow
from subgraphs.payment.money import Money
from subgraphs.payment.providers import (
    AlreadyProcessed,
    PaymentDeclined,
    PaymentNotFound,
    ProviderError,
    ProviderPayment,
    ProviderRefused,
    ProviderUnavailable,
)
from subgraphs.payment.service.ledger import Confirmed, Ledger

MAX_KEY = 200


@dataclass(slots=True)
class Checkout:
    order: OrderRow
    customer_key: str


def _language(locale: str | None) -> str:
    return "ko" if (locale or "ko").lower().startswith("ko") else "en"


class Checkouts(Ledger):
    async def customer(self, user_id: str) -> PaymentMethodRow:
        """The user's customer key at the provider, made on first use (random: Toss wants it unguessable)."""
        method = await self.repo.method(user_id)
        if method is None:
            await self.repo.ensure_method(user_id, "cus_" + secrets.token_urlsafe(24))
            method = await self.repo.method(user_id)
            assert method is not None
        return method

    async def start_checkout(self, user_id: str, plan_id: str, locale: str | None) -> Checkout:
        plan = await self.repo.plan(plan_id)
        if plan is None or not plan.active:
            raise errors.PlanNotFound(plan_id)
        sub = await self.repo.subscription_of(user_id)
        if (
            sub is not None
            and sub.status in ENTITLED
            and sub.plan_id == plan.id
            and not sub.cancel_at_period_end
        ):
            raise errors.AlreadySubscribed(plan.id)
        method = await self.customer(user_id)
        name = plan.names.get(_language(locale)) or next(iter(plan.names.values()))
        order = OrderRow(
            id=new_order_id("ord"),
            user_id=user_id,
            kind=OrderKind.CHECKOUT,
            plan_id=plan.id,
            order_name=name[:100],
            amount=plan.price,
            currency=plan.currency,
            status=OrderStatus.PENDING,
            locale=locale,
        )
        self.repo.add(order)
        return Checkout(order, method.customer_key)

    async def confirm(self, user_id: str, order_id: str, payment_key: str, amount: int) -> Confirmed:
        """Confirms the widget's payment of one of the user's orders. Idempotent per order: a second call
        (or a concurrent one, which waits for the order's lock) answers what the first recorded."""
        if not ORDER_ID.match(order_id):
            raise errors.OrderNotFound(order_id)
        if not payment_key or len(payment_key) > MAX_KEY:
            raise BadUserInput("not a payment key", field="paymentKey")
        order = await self.repo.order(order_id, lock=True)
        if order is None or order.user_id != user_id or order.kind != OrderKind.CHECKOUT:
            raise errors.OrderNotFound(order_id)
        if amount != order.amount:
            raise errors.AmountMismatch()  # the provider is never asked: nothing is charged
        if order.status == OrderStatus.PAID:
            done = await self.repo.payment_for_order(order.id)
            if done is None or done.payment_key != payment_key:
                raise errors.OrderClosed(order.id, order.status)
            return Confirmed(done, await self.repo.subscription_of(user_id), await self._plan(order.plan_id))
        if order.status not in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
            raise errors.OrderClosed(order.id, order.status)
        if order.payment_key is not None and order.payment_key != payment_key:
            raise errors.OrderClosed(order.id, "being confirmed with another payment")
        order.payment_key, order.updated_at = payment_key, utcnow()
        try:
            paid = await self.provider.confirm(
                payment_key=payment_key,
                order_id=order.id,
                amount=Money(order.amount, order.currency),
                idempotency_key=f"confirm:{order.id}",
            )
        except AlreadyProcessed:
            paid = await self._lookup(order)
        except (PaymentDeclined, PaymentNotFound) as e:
            await self.fail_order(order, await self._plan(order.plan_id), e.code)
            raise errors.PaymentDeclined(e.code, e.message) from e
        except ProviderRefused as e:  # not sent: the order stays as it was (the error rolls back)
            raise errors.ProviderPaused(e.retry_after_s) from e
        except ProviderUnavailable as e:
            raise self._unknown(order) from e
        except ProviderError as e:  # our own configuration (keys): nothing happened, the order stays open
            order.payment_key = None
            raise errors.PaymentPending("the payment provider refused our request; try again later") from e
        confirmed = await self.settle(order, paid)
        if confirmed is None:
            raise errors.PaymentDeclined("NOT_APPROVED", "the provider did not approve this payment")
        return confirmed

    async def _lookup(self, order: OrderRow) -> ProviderPayment:
        try:
            return await self.provider.payment(order.payment_key or "")
        except ProviderError as e:
            raise self._unknown(order) from e

    def _unknown(self, order: OrderRow) -> errors.PaymentPending:
        """The provider may have charged: keep the attempt (the error commits) for reconciliation."""
        order.status, order.updated_at = OrderStatus.UNKNOWN, utcnow()
        return errors.PaymentPending(orderId=order.id)
