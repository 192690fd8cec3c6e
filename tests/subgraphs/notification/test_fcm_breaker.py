"""The FCM client's circuit breaker against the local FCM having an outage (503 UNAVAILABLE on every send)."""

from __future__ import annotations

import asyncio
import time

from resilience import BreakerSettings, CircuitBreaker, State
from subgraphs.notification.fcm import FcmClient, PushMessage, ServiceAccount
from tests.subgraphs.notification.conftest import device_token
from tests.subgraphs.notification.fake_fcm import FakeFcm


async def test_breaker_opens_during_an_fcm_outage_answers_retryable_at_once_and_closes_after(
    fake_fcm: FakeFcm,
) -> None:
    breaker = CircuitBreaker("fcm", BreakerSettings(minimum_calls=3, reset_s=0.4))
    client = FcmClient(ServiceAccount.from_info(fake_fcm.service_account()), endpoint=fake_fcm.base_url,
                       breaker=breaker)
    msg = PushMessage(token=device_token(), title="t", body="b", data={})
    fake_fcm.outage = True
    try:
        for _ in range(3):
            result = await client.send(msg)
            assert not result.ok and result.error_code == "UNAVAILABLE" and result.retryable
        assert breaker.state is State.OPEN
        calls = fake_fcm.send_calls
        started = time.monotonic()
        paused = await client.send(msg)
        assert time.monotonic() - started < 0.05 and fake_fcm.send_calls == calls  # not sent
        # The dispatcher's ordinary retry path: retryable, and not before the breaker half-opens.
        assert paused.retryable and paused.retry_after_s is not None and 0 < paused.retry_after_s <= 0.4
        assert "circuit breaker open" in paused.detail
    finally:
        fake_fcm.outage = False
    try:
        await asyncio.sleep(0.45)
        delivered = await client.send(msg)
        assert delivered.ok and breaker.state is State.CLOSED
        assert fake_fcm.sent[-1]["token"] == msg.token
    finally:
        await client.aclose()
