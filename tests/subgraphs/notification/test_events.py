"""Events -> notifications: templates per type and language, preferences, quiet hours, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from libs.events import CloudEvent
from subgraphs.notification.domain import Channel, NotificationType, quiet_until
from subgraphs.notification.models import NotificationOutbox, PushDeliveryRow
from subgraphs.notification.resources import NotificationResources
from tests.subgraphs.notification.conftest import device_token, insight_event, new_user, service

SEOUL = ZoneInfo("Asia/Seoul")


def plain(text: str) -> str:
    """CLDR may put a no-break space before AM/PM; the tests spell it as a space."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


async def _deliveries(res: NotificationResources, notification_id: str) -> list[PushDeliveryRow]:
    async with res.sessions() as s:
        stmt = select(PushDeliveryRow).where(PushDeliveryRow.notification_id == notification_id)  # type: ignore[arg-type]
        return list((await s.execute(stmt)).scalars())


async def test_an_insight_becomes_a_notification_with_a_push_per_device(
    notification: NotificationResources,
) -> None:
    user = new_user()
    tokens = [device_token(), device_token()]
    for t in tokens:
        await service(notification).register_push_token(user, t, "ANDROID")
    event = insight_event(user, "WARNING")
    [row] = await service(notification).handle_event(event)
    assert (row.user_id, row.type, row.priority) == (user, "COACHING_INSIGHT", "HIGH")
    assert (row.title, row.body, row.locale) == ("높은 공복 혈당", "공복 혈당 250 mg/dL", "ko-KR")
    assert row.data["insightId"] == event.data["insightId"]
    deliveries = await _deliveries(notification, row.id)
    assert sorted(d.token for d in deliveries) == sorted(tokens)
    assert all(d.status == "PENDING" for d in deliveries)
    async with notification.sessions() as s:
        outbox = [o for o in (await s.execute(select(NotificationOutbox))).scalars()
                  if o.envelope["data"]["notificationId"] == row.id]
    assert [o.event_type for o in outbox] == ["notification.created"]
    assert await service(notification).handle_event(event) == []  # redelivered: nothing twice


async def test_the_users_language_setting_wins_over_the_event(notification: NotificationResources) -> None:
    user = new_user()
    await service(notification).update_settings(user, time_zone="America/New_York", locale="en-US",
                                               quiet_start=None, quiet_end=None, clear_quiet_hours=False)
    [row] = await service(notification).handle_event(insight_event(user))
    assert (row.title, row.locale) == ("High fasting glucose", "en-US")


async def test_other_domains_events_use_the_templates(notification: NotificationResources) -> None:
    user = new_user()
    paid = CloudEvent.new("payment.succeeded", "/subgraphs/payment", None,
                          {"userId": user, "amount": 9900, "currency": "KRW", "paymentId": "p1"})
    [row] = await service(notification).handle_event(paid)
    assert (row.type, row.title) == ("PAYMENT_SUCCEEDED", "결제 완료")
    assert row.body == "₩9,900 결제가 완료되었습니다."  # worded by CLDR when the event did not
    assert row.data == {"paymentId": "p1", "userId": user}
    booked = CloudEvent.new("consultation.created", "/subgraphs/video", None, {
        "patientId": user, "doctorName": "김의사", "scheduledAt": "2026-12-01T01:30:00Z", "locale": "en-US"})
    [row] = await service(notification).handle_event(booked)
    # Seoul time, in the English way
    assert plain(row.body) == "Your consultation with 김의사 is booked for Dec 1, 2026, 10:30 AM."
    started = CloudEvent.new("consultation.started", "/subgraphs/video", None, {"patientId": user})
    [row] = await service(notification).handle_event(started)
    assert (row.title, row.body) == ("상담 시작", "담당 선생님이 상담실에 들어왔습니다.")
    ignored = CloudEvent.new("payment.refund_requested", "/subgraphs/payment", None, {"userId": user})
    assert await service(notification).handle_event(ignored) == []


async def test_a_canceled_consultation_and_its_reminder_are_announced(
    notification: NotificationResources,
) -> None:
    user = new_user()
    data = {"consultationId": "c-1", "patientId": user, "doctorId": "d-1", "doctorName": "김의사",
            "scheduledAt": "2026-12-01T01:30:00Z"}
    reminder = CloudEvent.new("consultation.reminder", "/subgraphs/video", "c-1",
                              {**data, "minutesBefore": 10})
    [row] = await service(notification).handle_event(reminder)
    assert (row.type, row.priority, row.title) == ("CONSULTATION_REMINDER", "HIGH", "곧 상담이 시작됩니다")
    assert row.body == "김의사 선생님과의 상담이 10분 후(2026년 12월 1일 오전 10:30)에 시작됩니다."
    assert row.data["consultationId"] == "c-1"
    assert await service(notification).handle_event(reminder) == []  # a redelivery notifies nobody twice
    canceled = CloudEvent.new("consultation.canceled", "/subgraphs/video", "c-1", {**data, "locale": "en-US"})
    [row] = await service(notification).handle_event(canceled)
    assert (row.type, row.title) == ("CONSULTATION_CANCELED", "Consultation canceled")
    assert plain(row.body) == "Your consultation with 김의사 at Dec 1, 2026, 10:30 AM was canceled."


async def test_info_insights_stay_in_the_app(notification: NotificationResources) -> None:
    user = new_user()
    await service(notification).register_push_token(user, device_token(), "IOS")
    [row] = await service(notification).handle_event(insight_event(user, "INFO"))
    assert row.priority == "LOW" and await _deliveries(notification, row.id) == []


async def test_preferences_per_type_and_channel(notification: NotificationResources) -> None:
    user = new_user()
    await service(notification).register_push_token(user, device_token(), "ANDROID")
    await service(notification).set_preference(user, NotificationType.COACHING_INSIGHT, Channel.PUSH, False)
    [row] = await service(notification).handle_event(insight_event(user))
    assert row.in_app and await _deliveries(notification, row.id) == []

    await service(notification).set_preference(user, NotificationType.COACHING_INSIGHT, Channel.PUSH, True)
    await service(notification).set_preference(user, NotificationType.COACHING_INSIGHT, Channel.IN_APP, False)
    [row] = await service(notification).handle_event(insight_event(user))
    assert not row.in_app and len(await _deliveries(notification, row.id)) == 1
    assert (await service(notification).unread_counts([user])).get(user) == 1  # only the first one
    await service(notification).set_preference(user, NotificationType.COACHING_INSIGHT, Channel.PUSH, False)
    assert await service(notification).handle_event(insight_event(user)) == []


async def test_quiet_hours_hold_pushes_except_urgent_ones(notification: NotificationResources) -> None:
    user = new_user()
    await service(notification).register_push_token(user, device_token(), "ANDROID")
    local_now = datetime.now(SEOUL)
    start = (local_now - timedelta(hours=1)).strftime("%H:%M")
    end = (local_now + timedelta(hours=2)).strftime("%H:%M")
    await service(notification).update_settings(user, time_zone="Asia/Seoul", locale=None, quiet_start=start,
                                               quiet_end=end, clear_quiet_hours=False)
    [held] = await service(notification).handle_event(insight_event(user, "WARNING"))
    [d] = await _deliveries(notification, held.id)
    wait = d.next_attempt_at.astimezone(UTC) - datetime.now(UTC)
    assert timedelta(hours=1, minutes=58) < wait <= timedelta(hours=2)
    [urgent] = await service(notification).handle_event(insight_event(user, "URGENT"))
    [d] = await _deliveries(notification, urgent.id)
    assert d.next_attempt_at.astimezone(UTC) <= datetime.now(UTC)


@pytest.mark.parametrize(("local", "start", "end", "until"), [
    ("2026-11-26T23:30", "22:00", "07:00", "2026-11-27T07:00"),  # across midnight, evening side
    ("2026-11-27T06:59", "22:00", "07:00", "2026-11-27T07:00"),  # across midnight, morning side
    ("2026-11-27T07:00", "22:00", "07:00", None),
    ("2026-11-27T12:30", "12:00", "13:00", "2026-11-27T13:00"),
    ("2026-11-27T13:00", "12:00", "13:00", None),
])
def test_quiet_until_in_the_users_zone(local: str, start: str, end: str, until: str | None) -> None:
    def minutes(v: str) -> int:
        return int(v[:2]) * 60 + int(v[3:])

    now = datetime.fromisoformat(local).replace(tzinfo=SEOUL).astimezone(UTC)
    got = quiet_until(now, SEOUL, minutes(start), minutes(end))
    assert got == (datetime.fromisoformat(until).replace(tzinfo=SEOUL) if until else None)
    assert quiet_until(now, SEOUL, None, None) is None


async def test_an_insight_without_texts_still_reads_well(notification: NotificationResources) -> None:
    user = new_user()
    event = insight_event(user, "CAUTION")
    bare = CloudEvent.new(event.type, event.source, event.subject,
                          {k: v for k, v in event.data.items() if k not in ("title", "message")})
    [row] = await service(notification).handle_event(bare)
    assert (row.title, row.body, row.priority) == ("새 건강 인사이트", "앱에서 확인해 보세요.", "NORMAL")


async def test_a_new_template_version_reaches_the_next_notification(
    notification: NotificationResources,
) -> None:
    """Through the running workers' template feed: no restart, no call to the translation subgraph."""
    import asyncio

    from libs.events import EventPublisher
    from libs.events.streams import TEMPLATE_UPDATED, TRANSLATION_STREAM
    from subgraphs.notification.worker import NotificationWorkers

    key = "notification.PAYMENT_SUCCEEDED.body"
    held = notification.deps.catalogue.get(key, "ko")
    assert held is not None
    publisher = EventPublisher(notification.redis, notification.settings)
    try:
        async with NotificationWorkers(notification, block_ms=50).running():
            newer, older = ("{amountText} 결제 완료!", held.version + 2), ("옛 문구", held.version + 1)
            for body, version in (newer, older):
                await publisher.publish(TRANSLATION_STREAM, CloudEvent.new(
                    TEMPLATE_UPDATED, "/subgraphs/translation", None,
                    {"key": key, "locale": "ko", "body": body, "version": version}))
            for _ in range(100):
                if notification.deps.catalogue.get(key, "ko").version == held.version + 2:  # type: ignore[union-attr]
                    break
                await asyncio.sleep(0.05)
        paid = CloudEvent.new("payment.succeeded", "/subgraphs/payment", None,
                              {"userId": new_user(), "amount": 9900, "currency": "KRW",
                               "amountText": {"ko": "9,900원", "en": "KRW 9,900"}})
        [row] = await service(notification).handle_event(paid)
        assert (row.title, row.body) == ("결제 완료", "9,900원 결제 완료!")
    finally:  # the catalogue is the session's: leave the shipped text for the other tests
        notification.deps.catalogue.apply(key, "ko", held.body, held.version + 100)


async def test_the_locale_auth_announces_words_every_later_notification(
    notification: NotificationResources,
) -> None:
    from libs.events.streams import USER_LOCALE_CHANGED, USER_SIGNED_UP

    user = new_user()
    signed_up = CloudEvent.new(USER_SIGNED_UP, "/subgraphs/auth", user,
                               {"userId": user, "displayName": "Aki", "locale": "ja-JP", "roles": ["USER"]})
    [welcome] = await service(notification).handle_event(signed_up)
    assert (welcome.title, welcome.body) == ("ManPaSikへようこそ", "Akiさん、最初の測定を始めましょう。")
    # A consultation event naming another locale: the owner's choice wins; no ja text: the en fallback.
    ended = CloudEvent.new("consultation.ended", "/subgraphs/video", None,
                           {"patientId": user, "locale": "ko-KR"})
    [row] = await service(notification).handle_event(ended)
    assert (row.title, row.locale) == ("Consultation ended", "ja-JP")
    changed = CloudEvent.new(USER_LOCALE_CHANGED, "/subgraphs/auth", user,
                             {"userId": user, "locale": "ko-KR"})
    assert await service(notification).handle_event(changed) == []
    [row] = await service(notification).handle_event(CloudEvent.new(
        "consultation.ended", "/subgraphs/video", None, {"patientId": user}))
    assert row.title == "상담 종료"


async def test_a_batch_of_several_users_in_one_transaction_is_what_one_by_one_gives(
    notification: NotificationResources,
) -> None:
    pushed, muted, plain = new_user(), new_user(), new_user()
    token = device_token()
    await service(notification).register_push_token(pushed, token, "ANDROID")
    for channel in (Channel.PUSH, Channel.IN_APP):
        await service(notification).set_preference(muted, NotificationType.COACHING_INSIGHT, channel, False)
    events = [insight_event(pushed, "URGENT"), insight_event(muted), insight_event(plain, "INFO"),
              insight_event(pushed)]
    handled = await service(notification).handle_events([*events, events[0]])  # a duplicate: once
    assert [(r.user_id, r.priority) for r in handled.items] == [
        (pushed, "URGENT"), (plain, "LOW"), (pushed, "HIGH")]
    assert [o.envelope["data"]["notificationId"] for o in handled.outbox] == [
        r.id for r in handled.items]
    assert [d.token for d in await _deliveries(notification, handled.items[0].id)] == [token]
    assert await _deliveries(notification, handled.items[1].id) == []  # LOW: in the app only
    assert (await service(notification).handle_events(events)).items == []  # redelivered
    assert (await service(notification).unread_counts([pushed, muted, plain])) == {pushed: 2, plain: 1}
