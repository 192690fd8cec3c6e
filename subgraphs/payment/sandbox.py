"""A local Toss Payments sandbox: the documented core API v1 endpoints over HTTP, for development and tests.

    python -m subgraphs.payment.sandbox      # port PAYMENT_TOSS_SANDBOX_PORT (8090); `make run` starts it

Speaks what the adapter (providers/toss.py) calls: Basic auth with the secret key and ':', `Idempotency-Key`
replays (same key + API key + URL + method -> the first answer), `POST /v1/payments/confirm`,
`GET /v1/payments/{paymentKey}`, `GET /v1/payments/orders/{orderId}`, `POST /v1/payments/{paymentKey}/cancel`,
`POST /v1/billing/authorizations/issue`, `POST /v1/billing/{billingKey}`; errors `{"code", "message"}`
(REJECT_CARD_PAYMENT, ALREADY_PROCESSED_PAYMENT, INVALID_REQUEST for a wrong amount, NOT_CANCELABLE_AMOUNT,
NOT_FOUND_PAYMENT, UNAUTHORIZED_KEY); `PAYMENT_STATUS_CHANGED` webhooks to the configured URL.

What the phone's payment widget does is one call here: `POST /v1/sandbox/checkout` {"orderId", "amount",
"card": "success" | "declined"} -> {"paymentKey"}, and for card registration `POST /v1/sandbox/billing-auth`
{"customerKey", "card"} -> {"authKey"}. Tests script delays (`delay`) and read what was charged (`approvals`).
Never started in prod.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from subgraphs.payment.settings import SANDBOX_SECRET_KEY, PaymentSettings

log = logging.getLogger("manpasik.payment.sandbox")
KST = timezone(timedelta(hours=9))


def _now() -> str:
    return datetime.now(KST).isoformat(timespec="seconds")


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


@dataclass
class TossSandbox:
    secret_key: str
    webhook_url: str | None = None
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)  # paymentKey -> widget session
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)  # paymentKey -> Payment object
    auth_keys: dict[str, dict[str, str]] = field(default_factory=dict)  # authKey -> {customerKey, card}
    billing_keys: dict[str, dict[str, str]] = field(default_factory=dict)  # billingKey -> {customerKey, card}
    approvals: list[str] = field(default_factory=list)  # paymentKeys approved (confirm or billing), in order
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every API call
    _replays: dict[tuple[str, str, str, str], tuple[int, Any]] = field(default_factory=dict)
    _delays: list[tuple[str, float]] = field(default_factory=list)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    # -- scripting (tests) ----------------------------------------------------------------------------------

    def delay(self, path_prefix: str, seconds: float) -> None:
        """The next call whose path starts with `path_prefix` is processed, then answered `seconds` late."""
        self._delays.append((path_prefix, seconds))

    def set_card(self, billing_key: str, card: str) -> None:
        self.billing_keys[billing_key]["card"] = card

    def charges_for(self, order_prefix: str) -> list[dict[str, Any]]:
        return [
            p
            for k, p in self.payments.items()
            if k in self.approvals and p["orderId"].startswith(order_prefix)
        ]

    # -- the app --------------------------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/health", lambda _: JSONResponse({"status": "ok", "service": "toss-sandbox"})),
                Route("/v1/sandbox/checkout", self._checkout, methods=["POST"]),
                Route("/v1/sandbox/billing-auth", self._billing_auth, methods=["POST"]),
                Route("/v1/payments/confirm", self._api(self._confirm), methods=["POST"]),
                Route("/v1/payments/orders/{orderId}", self._api(self._by_order), methods=["GET"]),
                Route("/v1/payments/{paymentKey}", self._api(self._lookup), methods=["GET"]),
                Route("/v1/payments/{paymentKey}/cancel", self._api(self._cancel), methods=["POST"]),
                Route("/v1/billing/authorizations/issue", self._api(self._issue), methods=["POST"]),
                Route("/v1/billing/{billingKey}", self._api(self._charge), methods=["POST"]),
            ]
        )

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, sep, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return bool(sep) and password == "" and user == self.secret_key

    def _api(self, handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            self.calls.append((request.method, request.url.path))
            if not self._authorized(request):
                return _error(401, "UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.")
            body: dict[str, Any] = {}
            if request.method == "POST":
                try:
                    body = await request.json()
                except ValueError:
                    return _error(400, "INVALID_REQUEST", "잘못된 요청입니다.")
            key = request.headers.get("idempotency-key")
            replay_key = (key or "", request.headers["authorization"], request.url.path, request.method)
            async with self._lock:  # one at a time, like a real idempotency store's lock on the key
                if key and replay_key in self._replays:
                    status, payload = self._replays[replay_key]
                else:
                    status, payload = handler(request, body)
                    if key:
                        self._replays[replay_key] = (status, payload)
            for i, (prefix, seconds) in enumerate(self._delays):
                if request.url.path.startswith(prefix):
                    del self._delays[i]
                    await asyncio.sleep(seconds)
                    break
            return JSONResponse(payload, status_code=status)

        return endpoint

    # -- widget steps ---------------------------------------------------------------------------------------

    async def _checkout(self, request: Request) -> Response:
        body = await request.json()
        if not isinstance(body.get("orderId"), str) or not isinstance(body.get("amount"), int):
            return _error(400, "INVALID_REQUEST", "orderId and amount are required")
        payment_key = "tgen_" + secrets.token_hex(16)
        self.sessions[payment_key] = {
            "orderId": body["orderId"],
            "amount": body["amount"],
            "card": body.get("card", "success"),
            "orderName": body.get("orderName"),
        }
        return JSONResponse({"paymentKey": payment_key, "orderId": body["orderId"], "amount": body["amount"]})

    async def _billing_auth(self, request: Request) -> Response:
        body = await request.json()
        if not isinstance(body.get("customerKey"), str):
            return _error(400, "INVALID_REQUEST", "customerKey is required")
        auth_key = "bln_" + secrets.token_hex(12)
        self.auth_keys[auth_key] = {"customerKey": body["customerKey"], "card": body.get("card", "success")}
        return JSONResponse({"authKey": auth_key, "customerKey": body["customerKey"]})

    # -- API ------------------------------------------------------------------------------------------------

    def _payment(self, key: str, order_id: str, amount: int, order_name: str, type_: str) -> dict[str, Any]:
        return {
            "version": "2022-11-16",
            "paymentKey": key,
            "type": type_,
            "orderId": order_id,
            "orderName": order_name,
            "mId": "tosspayments",
            "currency": "KRW",
            "method": "카드",
            "totalAmount": amount,
            "balanceAmount": amount,
            "status": "DONE",
            "requestedAt": _now(),
            "approvedAt": _now(),
            "isPartialCancelable": True,
            "cancels": None,
            "card": {"company": "현대", "number": "433012******1234", "approveNo": secrets.token_hex(4)},
            "lastTransactionKey": secrets.token_hex(16),
        }

    def _confirm(self, request: Request, body: dict[str, Any]) -> tuple[int, Any]:
        key, order_id, amount = body.get("paymentKey"), body.get("orderId"), body.get("amount")
        session = self.sessions.get(str(key))
        if session is None or session["orderId"] != order_id:
            return 404, {
                "code": "NOT_FOUND_PAYMENT_SESSION",
                "message": "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다.",
            }
        if key in self.payments:
            return 400, {"code": "ALREADY_PROCESSED_PAYMENT", "message": "이미 처리된 결제 입니다."}
        if amount != session["amount"]:
            return 400, {"code": "INVALID_REQUEST", "message": "결제 금액이 일치하지 않습니다."}
        if session["card"] == "declined":
            return 403, {
                "code": "REJECT_CARD_PAYMENT",
                "message": "한도초과 혹은 잔액부족으로 결제에 실패했습니다.",
            }
        payment = self._payment(
            str(key), str(order_id), int(amount), session.get("orderName") or "order", "NORMAL"
        )
        self.payments[str(key)] = payment
        self.approvals.append(str(key))
        self._notify(payment)
        return 200, payment

    def _lookup(self, request: Request, body: dict[str, Any]) -> tuple[int, Any]:
        payment = self.payments.get(request.path_params["paymentKey"])
        if payment is None:
            session = self.sessions.get(request.path_params["paymentKey"])
            if session is None:
                return 404, {"code": "NOT_FOUND_PAYMENT", "message": "존재하지 않는 결제 정보 입니다."}
            in_progress = self._payment(
                request.path_params["paymentKey"], session["orderId"], session["amount"], "order", "NORMAL"
            )
            return 200, {**in_progress, "status": "IN_PROGRESS", "approvedAt": None}
        return 200, payment

    def _by_order(self, request: Request, body: dict[str, Any]) -> tuple[int, Any]:
        order_id = request.path_params["orderId"]
        for payment in self.payments.values():
            if payment["orderId"] == order_id:
                return 200, payment
        return 404, {"code": "NOT_FOUND_PAYMENT", "message": "존재하지 않는 결제 정보 입니다."}

    def _cancel(self, request: Request, body: dict[str, Any]) -> tuple[int, Any]:
        payment = self.payments.get(request.path_params["paymentKey"])
        if payment is None:
            return 404, {"code": "NOT_FOUND_PAYMENT", "message": "존재하지 않는 결제 정보 입니다."}
        if not body.get("cancelReason"):
            return 400, {"code": "INVALID_REQUEST", "message": "취소 사유는 필수입니다."}
        if payment["balanceAmount"] == 0:
            return 400, {"code": "ALREADY_CANCELED_PAYMENT", "message": "이미 취소된 결제 입니다."}
        amount = body.get("cancelAmount", payment["balanceAmount"])
        if not isinstance(amount, int) or amount <= 0 or amount > payment["balanceAmount"]:
            return 403, {"code": "NOT_CANCELABLE_AMOUNT", "message": "취소 할 수 없는 금액 입니다."}
        payment["balanceAmount"] -= amount
        payment["status"] = "CANCELED" if payment["balanceAmount"] == 0 else "PARTIAL_CANCELED"
        cancel = {
            "cancelAmount": amount,
            "cancelReason": body["cancelReason"],
            "canceledAt": _now(),
            "transactionKey": secrets.token_hex(16),
            "cancelStatus": "DONE",
            "refundableAmount": payment["balanceAmount"],
        }
        payment["cancels"] = [*(payment["cancels"] or []), cancel]
        self._notify(payment)
        return 200, payment

    def _issue(self, request: Request, body: dict[str, Any]) -> tuple[int, Any]:
        auth = self.auth_keys.pop(str(body.get("authKey")), None)
        if auth is None or auth["customerKey"] != body.get("customerKey"):
            return 400, {"code": "INVALID_REQUEST", "message": "유효하지 않은 authKey 입니다."}
        billing_key = "bk_" + secrets.token_hex(16)
        self.billing_keys[billing_key] = dict(auth)
        return 200, {
            "mId": "tosspayments",
            "customerKey": auth["customerKey"],
            "authenticatedAt": _now(),
            "method": "카드",
            "billingKey": billing_key,
            "cardCompany": "현대",
            "cardNumber": "433012******1234",
            "card": {"issuerCode": "61", "number": "433012******1234"},
        }

    def _charge(self, request: Request, body: dict[str, Any]) -> tuple[int, Any]:
        billing = self.billing_keys.get(request.path_params["billingKey"])
        if billing is None or billing["customerKey"] != body.get("customerKey"):
            return 404, {"code": "NOT_FOUND_PAYMENT", "message": "존재하지 않는 빌링키 입니다."}
        amount, order_id = body.get("amount"), body.get("orderId")
        if not isinstance(amount, int) or amount <= 0 or not isinstance(order_id, str):
            return 400, {"code": "INVALID_REQUEST", "message": "잘못된 요청입니다."}
        if any(p["orderId"] == order_id for p in self.payments.values()):
            return 400, {
                "code": "DUPLICATED_ORDER_ID",
                "message": "이미 승인 및 취소가 진행된 중복된 주문번호 입니다.",
            }
        if billing["card"] == "declined":
            return 403, {
                "code": "REJECT_CARD_PAYMENT",
                "message": "한도초과 혹은 잔액부족으로 결제에 실패했습니다.",
            }
        key = "tbill_" + secrets.token_hex(16)
        payment = self._payment(key, order_id, amount, str(body.get("orderName") or "order"), "BILLING")
        self.payments[key] = payment
        self.approvals.append(key)
        self._notify(payment)
        return 200, payment

    # -- webhooks -------------------------------------------------------------------------------------------

    def _notify(self, payment: dict[str, Any]) -> None:
        if self.webhook_url is None:
            return
        event = {"eventType": "PAYMENT_STATUS_CHANGED", "createdAt": _now(), "data": dict(payment)}
        task = asyncio.get_running_loop().create_task(self._post(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, event: dict[str, Any]) -> None:
        assert self.webhook_url is not None
        for delay in (0, 1, 4):  # Toss retries a delivery that did not get a 200 (much longer apart)
            await asyncio.sleep(delay)
            try:
                async with httpx.AsyncClient(timeout=5) as client:
                    if (await client.post(self.webhook_url, json=event)).status_code == 200:
                        return
            except httpx.HTTPError:
                pass
        log.warning("webhook to %s not delivered", self.webhook_url)


def dev_env(port_offset: int, payment_port: int) -> tuple[str, dict[str, str]] | None:
    """For the dev stack: (this sandbox's health URL, the environment that points the payment subgraph at
    it). None when PAYMENT_TOSS_API_URL is set: the developer chose a real Toss endpoint."""
    if os.environ.get("PAYMENT_TOSS_API_URL"):
        return None
    own = PaymentSettings()
    port = own.toss_sandbox_port + port_offset
    url = f"http://127.0.0.1:{port}"
    key = own.toss_secret_key if own.toss_secret_key.startswith("test_sk_") else SANDBOX_SECRET_KEY
    return f"{url}/health", {
        "PAYMENT_TOSS_API_URL": url, "PAYMENT_TOSS_SECRET_KEY": key, "PAYMENT_TOSS_SANDBOX_PORT": str(port),
        "PAYMENT_TOSS_SANDBOX_WEBHOOK_URL": f"http://127.0.0.1:{payment_port}/webhooks/toss"}


def main() -> None:
    own = PaymentSettings()
    sandbox = TossSandbox(secret_key=own.toss_secret_key, webhook_url=own.toss_sandbox_webhook_url)
    print(
        f"Toss sandbox on http://127.0.0.1:{own.toss_sandbox_port}"
        f" (webhooks to {own.toss_sandbox_webhook_url})",
        flush=True,
    )
    uvicorn.run(sandbox.app(), host="127.0.0.1", port=own.toss_sandbox_port, log_level="warning")


if __name__ == "__main__":
    main()
