"""Toss Payments core API v1 (docs.tosspayments.com, API version 2022-11-16), called with httpx.

- Auth: `Authorization: Basic base64(secretKey + ":")` (the colon stays: empty password).
- `POST /v1/payments/confirm` {paymentKey, orderId, amount}; `GET /v1/payments/{paymentKey}`;
  `GET /v1/payments/orders/{orderId}`; `POST /v1/payments/{paymentKey}/cancel` {cancelReason, cancelAmount?}.
- Billing: `POST /v1/billing/authorizations/issue` {authKey, customerKey} -> billingKey;
  `POST /v1/billing/{billingKey}` {customerKey, amount, orderId, orderName} -> a Payment (type BILLING).
- Every state-changing call carries an `Idempotency-Key` (<= 300 chars, 15 days, per key+API key+URL+method).
- Errors: `{"code", "message"}` with a 4xx/5xx status. Payment webhooks are not signed: only hints.

Every call goes through the "toss" circuit breaker (`libs.resilience`): network errors, timeouts and 5xx
count as failures; while it is open no request is sent and `ProviderRefused` says so (not an unknown outcome).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from libs.resilience import BreakerOpen, CircuitBreaker, provider_breaker
from subgraphs.payment.money import Money
from subgraphs.payment.providers import (
    AlreadyProcessed,
    BillingMethod,
    PaymentDeclined,
    PaymentNotFound,
    ProviderCancel,
    ProviderError,
    ProviderPayment,
    ProviderRefused,
    ProviderStatus,
    ProviderUnavailable,
    WebhookHint,
)

_STATUS = {
    "READY": ProviderStatus.PENDING,
    "IN_PROGRESS": ProviderStatus.PENDING,
    "WAITING_FOR_DEPOSIT": ProviderStatus.PENDING,
    "DONE": ProviderStatus.DONE,
    "PARTIAL_CANCELED": ProviderStatus.PARTIAL_CANCELED,
    "CANCELED": ProviderStatus.CANCELED,
    "ABORTED": ProviderStatus.FAILED,
    "EXPIRED": ProviderStatus.FAILED,
}
_NOT_FOUND = {"NOT_FOUND_PAYMENT", "NOT_FOUND_PAYMENT_SESSION", "NOT_FOUND"}
_ALREADY = {"ALREADY_PROCESSED_PAYMENT", "ALREADY_CANCELED_PAYMENT"}


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def payment_from_toss(body: Mapping[str, Any]) -> ProviderPayment:
    """A Toss Payment object in our provider-neutral shape."""
    try:
        total = Money(int(body["totalAmount"]), str(body.get("currency") or "KRW"))
        cancels = tuple(
            ProviderCancel(
                reference=str(c["transactionKey"]),
                amount=int(c["cancelAmount"]),
                at=_time(c.get("canceledAt")),
            )
            for c in body.get("cancels") or []
        )
        return ProviderPayment(
            key=str(body["paymentKey"]),
            order_id=str(body["orderId"]),
            status=_STATUS.get(str(body["status"]), ProviderStatus.PENDING),
            total=total,
            balance=int(body.get("balanceAmount", total.amount)),
            method=body.get("method"),
            approved_at=_time(body.get("approvedAt")),
            cancels=cancels,
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ProviderUnavailable("MALFORMED_RESPONSE", f"unexpected Toss payment object: {e!r}") from e


class TossPayments:
    name = "toss"

    def __init__(
        self,
        api_url: str,
        secret_key: str,
        http: httpx.AsyncClient,
        *,
        timeout_s: float = 10.0,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.breaker = breaker or provider_breaker(None, self.name)
        self.api_url = api_url.rstrip("/")
        self.http = http
        self.timeout_s = timeout_s
        token = base64.b64encode(f"{secret_key}:".encode()).decode()
        self._auth = f"Basic {token}"

    async def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Authorization": self._auth, "Content-Type": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key[:300]
        try:
            async with self.breaker.guard() as call:
                r = await self.http.request(
                    method, self.api_url + path, json=body, headers=headers, timeout=self.timeout_s
                )
                if r.status_code >= 500:
                    call.failed()
        except BreakerOpen as e:  # nothing was sent
            raise ProviderRefused(e.retry_after_s) from e
        except httpx.HTTPError as e:  # timeouts included: the request may or may not have been applied
            raise ProviderUnavailable("NETWORK_ERROR", f"{type(e).__name__} calling Toss {path}") from e
        try:
            data: dict[str, Any] = r.json()
        except ValueError as e:
            raise ProviderUnavailable(
                "MALFORMED_RESPONSE", f"Toss answered {r.status_code} without JSON"
            ) from e
        if r.status_code < 400:
            return data
        code, message = str(data.get("code", "UNKNOWN")), str(data.get("message", ""))
        if r.status_code >= 500:
            raise ProviderUnavailable(code, message)
        if code in _NOT_FOUND or r.status_code == 404:
            raise PaymentNotFound(code, message)
        if code in _ALREADY:
            raise AlreadyProcessed(code, message)
        if r.status_code in (401, 403) and code in ("UNAUTHORIZED_KEY", "INVALID_API_KEY"):
            raise ProviderError(code, message)  # our configuration, not the customer's card
        raise PaymentDeclined(code, message)

    async def confirm(
        self, *, payment_key: str, order_id: str, amount: Money, idempotency_key: str
    ) -> ProviderPayment:
        body = {"paymentKey": payment_key, "orderId": order_id, "amount": amount.amount}
        return payment_from_toss(
            await self._call("POST", "/v1/payments/confirm", body, idempotency_key=idempotency_key)
        )

    async def payment(self, payment_key: str) -> ProviderPayment:
        return payment_from_toss(await self._call("GET", f"/v1/payments/{_path(payment_key)}"))

    async def payment_for_order(self, order_id: str) -> ProviderPayment:
        return payment_from_toss(await self._call("GET", f"/v1/payments/orders/{_path(order_id)}"))

    async def cancel(
        self, payment_key: str, *, amount: int | None, reason: str, idempotency_key: str
    ) -> ProviderPayment:
        body: dict[str, Any] = {"cancelReason": reason[:200] or "customer request"}
        if amount is not None:
            body["cancelAmount"] = amount  # omitted: the whole remaining amount
        return payment_from_toss(
            await self._call(
                "POST", f"/v1/payments/{_path(payment_key)}/cancel", body, idempotency_key=idempotency_key
            )
        )

    async def issue_billing_key(self, *, auth_key: str, customer_key: str) -> BillingMethod:
        data = await self._call(
            "POST", "/v1/billing/authorizations/issue", {"authKey": auth_key, "customerKey": customer_key}
        )
        try:
            return BillingMethod(
                billing_key=str(data["billingKey"]),
                customer_key=str(data["customerKey"]),
                card_company=data.get("cardCompany"),
                card_number=data.get("cardNumber"),
            )
        except KeyError as e:
            raise ProviderUnavailable("MALFORMED_RESPONSE", f"no {e} in Toss billing key") from e

    async def charge(
        self, method: BillingMethod, *, order_id: str, order_name: str, amount: Money, idempotency_key: str
    ) -> ProviderPayment:
        body = {
            "customerKey": method.customer_key,
            "amount": amount.amount,
            "orderId": order_id,
            "orderName": order_name,
        }
        return payment_from_toss(
            await self._call(
                "POST", f"/v1/billing/{_path(method.billing_key)}", body, idempotency_key=idempotency_key
            )
        )

    def webhook_hint(self, body: bytes, headers: Mapping[str, str]) -> WebhookHint | None:
        """`{eventType, createdAt, data}`; for PAYMENT_STATUS_CHANGED `data` is a Payment. Unsigned, so only
        the payment key is taken from it: the caller re-fetches the payment. None: not a webhook we read."""
        try:
            event = json.loads(body)
        except ValueError:
            return None
        if not isinstance(event, dict) or not isinstance(event.get("eventType"), str):
            return None
        data = event.get("data")
        key = data.get("paymentKey") if isinstance(data, dict) else None
        key = key if isinstance(key, str) and key else None
        # Toss retries the same delivery; its body is the same, so the body names the delivery.
        dedupe = hashlib.sha256(body).hexdigest()
        return WebhookHint(dedupe_key=dedupe, event_type=event["eventType"], payment_key=key, raw=event)


def _path(segment: str) -> str:
    return quote(segment, safe="")
