"""Pure rules of payments: states, billing periods, order ids, dunning, invoice numbers, refund limits."""

from __future__ import annotations

import calendar
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING = "PENDING"  # waiting for the customer (checkout) or the charge (renewal)
    UNKNOWN = "UNKNOWN"  # the provider was asked and did not answer: reconciliation settles it
    PAID = "PAID"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"  # never paid


class OrderKind(StrEnum):
    CHECKOUT = "CHECKOUT"
    RENEWAL = "RENEWAL"


class PaymentStatus(StrEnum):
    PAID = "PAID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


class RefundStatus(StrEnum):
    PENDING = "PENDING"
    DONE = "DONE"


class SubscriptionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAST_DUE = "PAST_DUE"  # a renewal failed; retries follow the dunning schedule, features stay on
    CANCELED = "CANCELED"  # ended early (refunded)
    EXPIRED = "EXPIRED"


class Interval(StrEnum):
    MONTH = "MONTH"
    YEAR = "YEAR"


ENTITLED = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE})
ORDER_ID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")  # Toss's orderId rule
INVOICE_COUNTER = "invoice"


def new_order_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(18)}"


def renewal_order_id(subscription_id: str, period: int, attempt: int) -> str:
    """The same id for the same period and attempt, whoever builds it: a second charge of it collides."""
    return f"renew_{subscription_id.replace('-', '')}_{period}_{attempt}"


def renewal_idempotency_key(subscription_id: str, period: int, attempt: int) -> str:
    """One key per period (and dunning attempt: the provider would replay a declined answer)."""
    return f"renewal:{subscription_id}:{period}:{attempt}"


def add_months(at: datetime, months: int) -> datetime:
    """Calendar months; the day is clamped (Jan 31 + 1 month = Feb 28/29)."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


def period_end(start: datetime, interval: Interval, periods: int = 1) -> datetime:
    return add_months(start, periods * (12 if interval is Interval.YEAR else 1))


def invoice_number(seq: int) -> str:
    return f"MPS-{seq:08d}"


def payment_status(amount: int, refunded: int) -> PaymentStatus:
    if refunded <= 0:
        return PaymentStatus.PAID
    return PaymentStatus.REFUNDED if refunded >= amount else PaymentStatus.PARTIALLY_REFUNDED


@dataclass(frozen=True, slots=True)
class Dunning:
    """Retry a failed renewal after each of `retry_hours`; after the last, the subscription expires."""

    retry_hours: tuple[float, ...]

    def next_attempt(self, failed_attempts: int, now: datetime) -> datetime | None:
        """After the `failed_attempts`-th failure: when to try again, or None (give up)."""
        if failed_attempts > len(self.retry_hours):
            return None
        return now + timedelta(hours=self.retry_hours[failed_attempts - 1])
