"""The Toss adapter's circuit breaker: opens against a failing Toss (a local server answering Toss's
documented 500 error), refuses at once while open (a clear refusal, not an unknown outcome), closes when
Toss is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from libs.testing import running_app
from resilience import BreakerSettings, CircuitBreaker, State
from subgraphs.payment import errors
from subgraphs.payment.domain import OrderStatus
from subgraphs.payment.models import OrderRow
from subgraphs.payment.providers import PaymentNotFound, ProviderRefused, ProviderUnavailable
from subgraphs.payment.providers.toss import TossPayments
from subgraphs.payment.resources import PaymentResources
from subgraphs.payment.sandbox import TossSandbox
from tests.subgraphs.payment.conftest import SECRET_KEY, in_unit, new_user

QUICK = BreakerSettings(minimum_calls=3, failure_rate=0.5, window_s=10, reset_s=0.5)


@dataclass
class FailingToss:
    """Toss having an outage: every API call answers 500 FAILED_INTERNAL_SYSTEM_PROCESSING (Toss's code for
    its own failures) until `failing` is cleared; then payments it does not know are 404 NOT_FOUND_PAYMENT."""

    failing: bool = True
    calls: list[str] = field(default_factory=list)

    async def api(self, request: Request) -> JSONResponse:
        self.calls.append(request.url.path)
        if self.failing:
            return JSONResponse(
                {"code": "FAILED_INTERNAL_SYSTEM_PROCESSING", "message": "내부 시스템 처리 작업 실패"},
                status_code=500,
            )
        return JSONResponse({"code": "NOT_FOUND_PAYMENT", "message": "존재하지 않는 결제 정보 입니다."}, 404)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/{rest:path}", self.api, methods=["GET", "POST"])])


@pytest.fixture
async def failing_toss() -> AsyncIterator[tuple[FailingToss, str]]:
    fake = FailingToss()
    async with running_app(fake.app()) as url:
        yield fake, url


async def test_breaker_opens_against_failing_toss_refuses_fast_and_closes_when_it_is_back(
    failing_toss: tuple[FailingToss, str],
) -> None:
    fake, url = failing_toss
    breaker = CircuitBreaker("toss", QUICK)
    async with httpx.AsyncClient() as http:
        toss = TossPayments(url, SECRET_KEY, http, timeout_s=2.0, breaker=breaker)
        for _ in range(3):
            with pytest.raises(ProviderUnavailable):  # sent, failed: the outcome is unknown
                await toss.payment("pay_1")
        assert breaker.state is State.OPEN and len(fake.calls) == 3
        started = time.monotonic()
        with pytest.raises(ProviderRefused) as refused:
            await toss.payment("pay_1")
        assert time.monotonic() - started < 0.05
        assert len(fake.calls) == 3  # nothing was sent
        assert 0 < refused.value.retry_after_s <= 0.5 and refused.value.code == "CIRCUIT_OPEN"

        fake.failing = False
        await asyncio.sleep(0.55)
        with pytest.raises(PaymentNotFound):  # a trial call reaches Toss, which answers: alive again
            await toss.payment("pay_1")
        assert breaker.state is State.CLOSED and len(fake.calls) == 4


async def test_confirm_with_the_breaker_open_is_a_clear_refusal_and_the_order_stays_open(
    payment: PaymentResources, sandbox: TossSandbox, failing_toss: tuple[FailingToss, str]
) -> None:
    _, url = failing_toss
    # Toss fails for a while: the breaker opens on real failed calls ...
    breaker = CircuitBreaker("toss", BreakerSettings(minimum_calls=2, reset_s=60))
    async with httpx.AsyncClient() as http:
        outage = TossPayments(url, SECRET_KEY, http, breaker=breaker)
        for _ in range(2):
            with pytest.raises(ProviderUnavailable):
                await outage.payment("pay_x")
    assert breaker.state is State.OPEN
    # ... and it is the breaker the payment subgraph's Toss adapter holds.
    provider = payment.deps.provider
    assert isinstance(provider, TossPayments)
    kept, provider.breaker = provider.breaker, breaker
    try:
        user = new_user()
        checkout, _ = await in_unit(payment, "start_checkout", user, "premium-monthly", "ko-KR")
        order_id, amount = checkout.order.id, checkout.order.amount
        async with httpx.AsyncClient() as client:
            widget = await client.post(
                sandbox.base_url + "/v1/sandbox/checkout",  # type: ignore[attr-defined]
                json={"orderId": order_id, "amount": amount, "card": "success", "orderName": "x"},
            )
        key = widget.json()["paymentKey"]
        confirms = sandbox.calls.count(("POST", "/v1/payments/confirm"))
        with pytest.raises(errors.ProviderPaused) as paused:
            await in_unit(payment, "confirm", user, order_id, key, amount)
        assert paused.value.code == "SERVICE_UNAVAILABLE"
        assert sandbox.calls.count(("POST", "/v1/payments/confirm")) == confirms  # never sent
        async with payment.sessions() as s:
            order = await s.get(OrderRow, order_id)
            assert order is not None
            # Not UNKNOWN (that is for a call that may have charged): still open, nothing recorded.
            assert order.status == OrderStatus.PENDING and order.payment_key is None
    finally:
        provider.breaker = kept
    confirmed, _ = await in_unit(payment, "confirm", user, order_id, key, amount)  # Toss is back
    assert confirmed.payment.status == "PAID"
    assert key in sandbox.approvals
