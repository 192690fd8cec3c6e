"""Payment's domain errors, in the shared vocabulary plus two codes of its own:

PaymentDeclined      PAYMENT_DECLINED      the provider refused (card declined, ...); nothing was charged
PaymentPending       PAYMENT_PENDING       the provider did not answer in time; the state is kept and
                                           settled by reconciliation (retrying the same call is safe)
ProviderPaused       SERVICE_UNAVAILABLE   the provider's breaker is open: nothing was sent (retryAfter)
"""

from __future__ import annotations

from libs.errors import AppError, BadUserInput, Conflict, NotFound


class PlanNotFound(NotFound):
    def __init__(self, plan_id: str) -> None:
        super().__init__("plan not found", planId=plan_id)


class OrderNotFound(NotFound):
    def __init__(self, order_id: str) -> None:
        super().__init__("order not found", orderId=order_id)


class PaymentNotFound(NotFound):
    def __init__(self, payment_id: str) -> None:
        super().__init__("payment not found", paymentId=payment_id)


class SubscriptionNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no subscription to cancel")


class AmountMismatch(BadUserInput):
    def __init__(self) -> None:
        super().__init__("amount does not match the order", field="amount")


class AlreadySubscribed(Conflict):
    def __init__(self, plan_id: str) -> None:
        super().__init__("already subscribed to this plan", planId=plan_id)


class OrderClosed(Conflict):
    def __init__(self, order_id: str, status: str) -> None:
        super().__init__(f"order is {status.lower()}", orderId=order_id, status=status)


class RefundTooLarge(BadUserInput):
    def __init__(self, refundable: int) -> None:
        super().__init__(f"at most {refundable} can still be refunded", field="amount", refundable=refundable)


class PaymentDeclined(AppError):
    """The order is marked failed (that commits): a new checkout starts over."""

    code = "PAYMENT_DECLINED"
    commits = True

    def __init__(self, provider_code: str, message: str) -> None:
        super().__init__(message or "the payment was declined", providerCode=provider_code)


class RefundDeclined(AppError):
    code = "PAYMENT_DECLINED"

    def __init__(self, provider_code: str, message: str) -> None:
        super().__init__(message or "the refund was refused", providerCode=provider_code)


class PaymentPending(AppError):
    """The outcome is unknown; what was recorded (the attempt) commits so reconciliation can settle it."""

    code = "PAYMENT_PENDING"
    commits = True

    def __init__(
        self,
        message: str = "the payment provider did not answer; the payment is being checked",
        **extensions: object,
    ) -> None:
        super().__init__(message, **extensions)


class ProviderPaused(AppError):
    """The provider's circuit breaker is open: nothing was sent, nothing changed; try again later."""

    code = "SERVICE_UNAVAILABLE"

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(
            "the payment provider is not answering; nothing was charged, try again shortly",
            retryAfter=round(max(retry_after_s, 0.0), 1),
        )
