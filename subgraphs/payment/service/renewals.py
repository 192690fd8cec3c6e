"""Subscriptions over time: renewal by billing key, dunning, cancel at period end, expiry.

Toss does not schedule charges, so our scheduler does, in as many worker processes as run: each claims one
due subscription with SKIP LOCKED, so no two work on the same one; the renewal order is unique per
(subscription, period, attempt) and its idempotency key too, so a crash between the charge and the commit
replays the same charge instead of making a second one.
"""

from __future__ import annotations

from datetime import datetime

from libs.errors import BadUserInput
from libs.time import as_utc, utcnow
from subgraphs.payment import errors, events
from subgraphs.payment.domain import (
    ENTITLED,
    OrderKind,
    OrderStatus,
    SubscriptionStatus,
    renewal_idempotency_key,
    renewal_order_id,
)
from subgraphs.payment.models import OrderRow, PaymentMethodRow, PlanRow, SubscriptionRow
from subgraphs.payment.money import Money
from subgraphs.payment.providers import (
    BillingMethod,
    PaymentDeclined,
    PaymentNotFound,
    ProviderError,
    ProviderRefused,
)
from subgraphs.payment.service.checkout import Checkouts

MAX_AUTH_KEY = 300


class Renewals(Checkouts):
    async def cancel_subscription(self, user_id: str, reason: str | None) -> SubscriptionRow:
        """Stops renewals; the features stay until the paid period ends. Cancelling twice changes nothing."""
        sub = await self.repo.subscription_of(user_id, lock=True)
        if sub is None or sub.status not in ENTITLED:
            raise errors.SubscriptionNotFound()
        if sub.cancel_at_period_end:
            return sub
        now = utcnow()
        sub.cancel_at_period_end, sub.canceled_at = True, now
        sub.cancel_reason = (reason or "").strip()[:300] or None
        sub.next_charge_at = max(as_utc(sub.current_period_end), now)  # then it expires
        sub.updated_at = now
        self._emit(events.subscription_canceled(sub, await self._plan(sub.plan_id)))
        return sub

    async def register_card(self, user_id: str, auth_key: str) -> PaymentMethodRow:
        """Turns the billing-auth widget's `authKey` into a billing key for renewals. A past-due
        subscription is retried at once with the new card."""
        if not auth_key or len(auth_key) > MAX_AUTH_KEY:
            raise BadUserInput("not an authKey from the card registration", field="authKey")
        await self.customer(user_id)
        method = await self.repo.method(user_id, lock=True)
        assert method is not None
        try:
            card = await self.provider.issue_billing_key(auth_key=auth_key, customer_key=method.customer_key)
        except (PaymentDeclined, PaymentNotFound) as e:
            raise errors.PaymentDeclined(e.code, e.message) from e
        except ProviderRefused as e:
            raise errors.ProviderPaused(e.retry_after_s) from e
        except ProviderError as e:
            raise errors.PaymentPending("the payment provider did not answer; try again") from e
        now = utcnow()
        method.billing_key, method.card_company, method.card_number = (
            card.billing_key,
            card.card_company,
            card.card_number,
        )
        method.provider, method.updated_at = self.provider.name, now
        sub = await self.repo.subscription_of(user_id, lock=True)
        if sub is not None and sub.status == SubscriptionStatus.PAST_DUE:
            sub.next_charge_at = now
        return method

    async def run_due(self, now: datetime | None = None) -> bool:
        """Handles one due subscription (renew, retry, or expire); False when none is due. Call in a unit
        of work of its own: the claim's lock lasts until its commit."""
        now = now or utcnow()
        sub = await self.repo.claim_due_subscription(now)
        if sub is None:
            return False
        plan = await self._plan(sub.plan_id)
        if sub.cancel_at_period_end:
            self._expire(sub, plan, now)
            return True
        period, attempt = sub.period + 1, sub.failed_attempts
        order = await self.repo.renewal_order(sub.id, period, attempt)
        if order is None:
            order = OrderRow(
                id=renewal_order_id(sub.id, period, attempt),
                user_id=sub.user_id,
                kind=OrderKind.RENEWAL,
                plan_id=plan.id,
                order_name=plan.names.get("ko", plan.id),
                amount=plan.price,
                currency=plan.currency,
                status=OrderStatus.PENDING,
                subscription_id=sub.id,
                period=period,
                attempt=attempt,
                locale=sub.locale,
            )
            self.repo.add(order)
            await self.repo.flush()  # the unique (subscription, period, attempt) key holds from here
        elif order.status not in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
            return True  # settled meanwhile (reconciliation): the subscription row says what is next
        method = await self.repo.method(sub.user_id)
        if method is None or method.billing_key is None:
            await self._renewal_failed(sub, plan, order, "NO_PAYMENT_METHOD", now)
            return True
        try:
            paid = await self.provider.charge(
                BillingMethod(method.billing_key, method.customer_key),
                order_id=order.id,
                order_name=order.order_name,
                amount=Money(order.amount, order.currency),
                idempotency_key=renewal_idempotency_key(sub.id, period, attempt),
            )
        except (PaymentDeclined, PaymentNotFound) as e:
            await self._renewal_failed(sub, plan, order, e.code, now)
            return True
        except ProviderRefused:  # not sent: the order stays as it is, and the charge is tried again later
            sub.next_charge_at = now + self.deps.reconcile_after
            return True
        except ProviderError:
            # Unknown: try again later with the same key (the provider replays a charge it made).
            order.status, order.updated_at = OrderStatus.UNKNOWN, now
            sub.next_charge_at = now + self.deps.reconcile_after
            return True
        if await self.settle(order, paid) is None and order.status != OrderStatus.FAILED:
            order.status, order.updated_at = OrderStatus.UNKNOWN, now
            sub.next_charge_at = now + self.deps.reconcile_after
        elif order.status == OrderStatus.FAILED:
            await self._renewal_failed(sub, plan, order, order.failure or "DECLINED", now)
        return True

    async def _renewal_failed(
        self, sub: SubscriptionRow, plan: PlanRow, order: OrderRow, reason: str, now: datetime
    ) -> None:
        await self.fail_order(order, plan, reason)
        sub.failed_attempts += 1
        retry = self.deps.dunning.next_attempt(sub.failed_attempts, now)
        if retry is None:
            self._expire(sub, plan, now)
            return
        sub.status, sub.next_charge_at, sub.updated_at = SubscriptionStatus.PAST_DUE, retry, now
        self._emit(events.subscription_renewal_failed(sub, plan, reason))

    def _expire(self, sub: SubscriptionRow, plan: PlanRow, now: datetime) -> None:
        sub.status, sub.next_charge_at, sub.updated_at = SubscriptionStatus.EXPIRED, None, now
        self._emit(events.subscription_expired(sub, plan))
