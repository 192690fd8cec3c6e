"""Payment providers behind one interface, so the domain never names one.

    provider = TossPayments(own, http)              # Korea; a StripePayments(...) would fit the same slot
    payment = await provider.confirm(payment_key=..., order_id=..., amount=Money(9900, "KRW"),
                                     idempotency_key=...)

Errors (all raised by adapters, never HTTP errors):
    ProviderError
    ├── PaymentDeclined        the provider said no (declined card, invalid amount, ...): nothing was charged
    ├── AlreadyProcessed       the provider already settled this request: look the payment up
    ├── PaymentNotFound        no such payment or order at the provider
    ├── ProviderUnavailable    timeout, network error or 5xx: the outcome is UNKNOWN (reconcile later)
    └── ProviderRefused        not sent: the provider's circuit breaker is open (failing lately); nothing
                               happened, try again after `retry_after_s`
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from subgraphs.payment.money import Money


class ProviderStatus(StrEnum):
    PENDING = "PENDING"  # not approved yet (Toss READY / IN_PROGRESS / WAITING_FOR_DEPOSIT)
    DONE = "DONE"
    PARTIAL_CANCELED = "PARTIAL_CANCELED"
    CANCELED = "CANCELED"
    FAILED = "FAILED"  # aborted or expired: never approved


@dataclass(frozen=True, slots=True)
class ProviderCancel:
    reference: str  # the provider's key of this cancel (Toss transactionKey)
    amount: int
    at: datetime | None


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    key: str  # the provider's payment reference (Toss paymentKey)
    order_id: str
    status: ProviderStatus
    total: Money
    balance: int  # what can still be refunded
    method: str | None = None
    approved_at: datetime | None = None
    cancels: tuple[ProviderCancel, ...] = ()

    @property
    def refunded(self) -> int:
        return self.total.amount - self.balance


@dataclass(frozen=True, slots=True)
class BillingMethod:
    billing_key: str
    customer_key: str
    card_company: str | None = None
    card_number: str | None = None  # masked by the provider


@dataclass(frozen=True, slots=True)
class WebhookHint:
    """What an incoming webhook claims, to be checked with the provider (payment webhooks are unsigned)."""

    dedupe_key: str
    event_type: str
    payment_key: str | None
    raw: Mapping[str, object] = field(default_factory=dict)


class ProviderError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class PaymentDeclined(ProviderError):
    pass


class AlreadyProcessed(ProviderError):
    pass


class PaymentNotFound(ProviderError):
    pass


class ProviderUnavailable(ProviderError):
    pass


class ProviderRefused(ProviderError):
    def __init__(self, retry_after_s: float) -> None:
        super().__init__("CIRCUIT_OPEN", "the payment provider is failing; calls are paused")
        self.retry_after_s = retry_after_s


class PaymentProvider(Protocol):
    name: str

    async def confirm(
        self, *, payment_key: str, order_id: str, amount: Money, idempotency_key: str
    ) -> ProviderPayment: ...

    async def payment(self, payment_key: str) -> ProviderPayment: ...

    async def payment_for_order(self, order_id: str) -> ProviderPayment: ...

    async def cancel(
        self, payment_key: str, *, amount: int | None, reason: str, idempotency_key: str
    ) -> ProviderPayment: ...

    async def issue_billing_key(self, *, auth_key: str, customer_key: str) -> BillingMethod: ...

    async def charge(
        self, method: BillingMethod, *, order_id: str, order_name: str, amount: Money, idempotency_key: str
    ) -> ProviderPayment: ...

    def webhook_hint(self, body: bytes, headers: Mapping[str, str]) -> WebhookHint | None: ...


__all__ = [
    "AlreadyProcessed",
    "BillingMethod",
    "PaymentDeclined",
    "PaymentNotFound",
    "PaymentProvider",
    "ProviderCancel",
    "ProviderError",
    "ProviderPayment",
    "ProviderRefused",
    "ProviderStatus",
    "ProviderUnavailable",
    "WebhookHint",
]
