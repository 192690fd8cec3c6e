"""The FCM client's circuit breaker against the local FCM having an outage (503 UNAVAILABLE on every send)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from resilience import BreakerSettings, CircuitBreaker, State
from subgraphs.notification.fcm import FcmClient, PushMessage, ServiceAccount
from subgraphs.notification.push import PushDispatcher
from subgraphs.notification.resources import NotificationResources
from tests.subgraphs.notification.conftest import device_token, insight_event, new_user, service
from tests.subgraphs.notification.fake_fcm import FakeFcm
from tests.subgraphs.notification.test_push import _delivery


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
        assert "circuit breaker open" in paused.detail and not paused.sent
    finally:
        fake_fcm.outage = False
    try:
        await asyncio.sleep(0.45)
        delivered = await client.send(msg)
        assert delivered.ok and breaker.state is State.CLOSED
        assert fake_fcm.sent[-1]["token"] == msg.token
    finally:
        await client.aclose()


async def test_a_push_held_back_by_the_open_breaker_is_not_an_attempt_and_waits_for_half_open(
    notification: NotificationResources, fake_fcm: FakeFcm,
) -> None:
    breaker = CircuitBreaker("fcm", BreakerSettings(minimum_calls=1, reset_s=20))
    client = FcmClient(ServiceAccount.from_info(fake_fcm.service_account()), endpoint=fake_fcm.base_url,
                       breaker=breaker)
    fake_fcm.outage = True
    try:
        assert not (await client.send(PushMessage(token=device_token(), title="t", body="b", data={}))).ok
    finally:
        fake_fcm.outage = False
    assert breaker.state is State.OPEN
    user, token = new_user(), device_token()
    await service(notification).register_push_token(user, token, "ANDROID")
    [row] = await service(notification).handle_event(insight_event(user))
    try:
        await PushDispatcher(notification.db, client).dispatch_once()
        delivery = await _delivery(notification, row.id)
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("PENDING", 0, "UNAVAILABLE")
        assert delivery.next_attempt_at.astimezone(UTC) >= datetime.now(UTC) + timedelta(seconds=19)
        assert not [m for m in fake_fcm.sent if m["token"] == token]
    finally:
        await client.aclose()
