"""Push through the FCM HTTP v1 adapter against the local fake FCM: OAuth, message format, error handling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, update

from subgraphs.notification.fcm import FcmAuthError, FcmClient, PushMessage, ServiceAccount
from subgraphs.notification.models import PushDeliveryRow, PushTokenRow
from subgraphs.notification.push import PushDispatcher
from subgraphs.notification.resources import NotificationResources
from tests.subgraphs.notification.conftest import device_token, insight_event, new_user, service
from tests.subgraphs.notification.fake_fcm import FakeFcm


async def _delivery(res: NotificationResources, notification_id: str) -> PushDeliveryRow:
    async with res.sessions() as s:
        stmt = select(PushDeliveryRow).where(PushDeliveryRow.notification_id == notification_id)  # type: ignore[arg-type]
        return (await s.execute(stmt)).scalars().one()


async def _dispatch_until_idle(dispatcher: PushDispatcher) -> None:
    while await dispatcher.dispatch_once():
        pass


async def test_client_authenticates_with_the_service_account_and_caches_the_token(fake_fcm: FakeFcm) -> None:
    client = FcmClient(ServiceAccount.from_info(fake_fcm.service_account()), endpoint=fake_fcm.base_url)
    try:
        before = fake_fcm.tokens_issued
        for n in range(2):
            msg = PushMessage(token=device_token(), title="t", body="b", data={"n": str(n)})
            result = await client.send(msg)
            assert result.ok and result.message_name and result.message_name.startswith(
                f"projects/{fake_fcm.project_id}/messages/")
        assert fake_fcm.tokens_issued == before + 1
        message = fake_fcm.sent[-1]
        assert message["notification"] == {"title": "t", "body": "b"} and message["data"] == {"n": "1"}
        assert message["android"]["priority"] == "NORMAL"
        assert message["apns"]["headers"]["apns-priority"] == "5"
    finally:
        await client.aclose()


async def test_a_foreign_key_is_refused_by_the_token_endpoint(fake_fcm: FakeFcm) -> None:
    info = fake_fcm.service_account()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    info["private_key"] = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode()
    client = FcmClient(ServiceAccount.from_info(info), endpoint=fake_fcm.base_url)
    try:
        with pytest.raises(FcmAuthError):
            await client.send(PushMessage(token=device_token(), title="t", body="b", data={}))
    finally:
        await client.aclose()


async def test_dispatcher_sends_due_pushes_once(
    notification: NotificationResources, fake_fcm: FakeFcm,
) -> None:
    user, token = new_user(), device_token()
    await service(notification).register_push_token(user, token, "ANDROID")
    [row] = await service(notification).handle_event(insight_event(user, "URGENT"))
    dispatcher = PushDispatcher(notification.db, notification.fcm)
    await _dispatch_until_idle(dispatcher)
    delivery = await _delivery(notification, row.id)
    assert delivery.status == "SENT" and delivery.message_name and delivery.attempts == 1
    [sent] = [m for m in fake_fcm.sent if m["token"] == token]
    assert sent["notification"] == {"title": row.title, "body": row.body}
    assert sent["data"]["notificationId"] == row.id and sent["data"]["type"] == "COACHING_INSIGHT"
    assert sent["android"]["priority"] == "HIGH"
    await _dispatch_until_idle(dispatcher)
    assert len([m for m in fake_fcm.sent if m["token"] == token]) == 1


async def test_unregistered_tokens_are_removed(
    notification: NotificationResources, fake_fcm: FakeFcm,
) -> None:
    user, dead, alive = new_user(), device_token(), device_token()
    fake_fcm.unregistered.add(dead)
    for t in (dead, alive):
        await service(notification).register_push_token(user, t, "ANDROID")
    [row] = await service(notification).handle_event(insight_event(user))
    await _dispatch_until_idle(PushDispatcher(notification.db, notification.fcm))
    async with notification.sessions() as s:
        tokens = {t.token for t in (await s.execute(select(PushTokenRow).where(
            PushTokenRow.user_id == user))).scalars()}  # type: ignore[arg-type]
        statuses = {d.token: (d.status, d.last_error) for d in (await s.execute(select(PushDeliveryRow).where(
            PushDeliveryRow.notification_id == row.id))).scalars()}  # type: ignore[arg-type]
    assert tokens == {alive}
    assert statuses == {dead: ("DROPPED", "UNREGISTERED"), alive: ("SENT", None)}


async def test_quota_errors_are_retried_after_retry_after(
    notification: NotificationResources, fake_fcm: FakeFcm,
) -> None:
    user, token = new_user(), device_token()
    fake_fcm.rate_limited[token] = 1
    await service(notification).register_push_token(user, token, "WEB")
    [row] = await service(notification).handle_event(insight_event(user))
    dispatcher = PushDispatcher(notification.db, notification.fcm)
    await dispatcher.dispatch_once()
    delivery = await _delivery(notification, row.id)
    assert (delivery.status, delivery.last_error, delivery.attempts) == ("PENDING", "QUOTA_EXCEEDED", 1)
    assert delivery.next_attempt_at.astimezone(UTC) >= datetime.now(UTC) + timedelta(seconds=1)
    await dispatcher.dispatch_once()
    assert (await _delivery(notification, row.id)).status == "PENDING"  # not due yet
    async with notification.sessions() as s:  # let the clock run out instead of sleeping
        await s.execute(update(PushDeliveryRow).where(PushDeliveryRow.id == delivery.id)  # type: ignore[arg-type]
                        .values(next_attempt_at=datetime.now(UTC)))
        await s.commit()
    await dispatcher.dispatch_once()
    delivery = await _delivery(notification, row.id)
    assert (delivery.status, delivery.attempts) == ("SENT", 2)


async def test_a_notification_read_before_its_push_is_not_pushed(
    notification: NotificationResources, fake_fcm: FakeFcm,
) -> None:
    user, token = new_user(), device_token()
    await service(notification).register_push_token(user, token, "ANDROID")
    [row] = await service(notification).handle_event(insight_event(user))
    assert await service(notification).mark_read(user, [row.id]) == 1
    await _dispatch_until_idle(PushDispatcher(notification.db, notification.fcm))
    assert (await _delivery(notification, row.id)).status == "DROPPED"
    assert not [m for m in fake_fcm.sent if m["token"] == token]


async def test_finished_deliveries_and_old_markers_are_pruned(
    notification: NotificationResources, fake_fcm: FakeFcm,
) -> None:
    from subgraphs.notification.worker import NotificationWorkers

    user, token = new_user(), device_token()
    await service(notification).register_push_token(user, token, "ANDROID")
    [row] = await service(notification).handle_event(insight_event(user, "URGENT"))
    await _dispatch_until_idle(PushDispatcher(notification.db, notification.fcm))
    workers = NotificationWorkers(notification, consumer_name="test-prune")
    await workers.prune()
    assert (await _delivery(notification, row.id)).status == "SENT"  # recent: kept
    async with notification.sessions() as s:
        await s.execute(update(PushDeliveryRow).where(
            PushDeliveryRow.notification_id == row.id)  # type: ignore[arg-type]
            .values(next_attempt_at=datetime.now(UTC) - timedelta(days=31)))
        await s.commit()
    assert await workers.prune() >= 1
    async with notification.sessions() as s:
        left = (await s.execute(select(PushDeliveryRow).where(
            PushDeliveryRow.notification_id == row.id))).scalars().all()  # type: ignore[arg-type]
    assert left == []
