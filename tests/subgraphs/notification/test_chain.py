"""The seed's broken chain, end to end: measurement recorded -> coaching insight -> notification, seen live.

The measurement side is played by publishing `measurement.recorded` exactly as the measurement subgraph does.
Coaching and notification run as they do in production: apps serving sockets, and separate worker processes
(here: worker objects) consuming the streams. Checked for the owner only, and with the coaching worker down
while the measurement is recorded (nothing lost, nothing doubled).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import select

from libs.config import Settings
from libs.events import EventPublisher
from libs.events.streams import MEASUREMENT_STREAM
from subgraphs.coaching.models import InsightRow
from subgraphs.coaching.resources import CoachingResources
from subgraphs.coaching.worker import LIVE_TOPIC as COACHING_TOPIC
from subgraphs.coaching.worker import CoachingWorkers
from subgraphs.notification.models import NotificationRow
from subgraphs.notification.resources import NotificationResources
from subgraphs.notification.worker import LIVE_TOPIC as NOTIFICATION_TOPIC
from subgraphs.notification.worker import NotificationWorkers
from tests.subgraphs.coaching.conftest import measurement_event, new_user, token_for
from tests.subgraphs.coaching.ws import Subscription, subscribe
from tests.subgraphs.notification.conftest import device_token, service
from tests.subgraphs.notification.fake_fcm import FakeFcm

ON_INSIGHT = "subscription { coachingInsightReady { id severity title message measurement { id } } }"
ON_NOTIFICATION = "subscription { notificationReceived { id type title body createdAt } }"


@contextlib.asynccontextmanager
async def phone(coaching_url: str, notification_url: str, token: str, user: str, coaching: CoachingResources,
                notification: NotificationResources) -> AsyncIterator[tuple[Subscription, Subscription]]:
    """A phone subscribed to OnCoachingInsight and OnNotification, once both subscriptions are live."""
    async with subscribe(coaching_url, ON_INSIGHT, token) as insights, \
            subscribe(notification_url, ON_NOTIFICATION, token) as notifications:
        for hub, topic in ((coaching.live, COACHING_TOPIC), (notification.live, NOTIFICATION_TOPIC)):
            for _ in range(200):
                if await hub.listeners(topic, user):
                    break
                await asyncio.sleep(0.02)
        yield insights, notifications


async def _counts(coaching: CoachingResources, notification: NotificationResources, user: str,
                  measurement_id: str) -> tuple[int, int]:
    """(insights for the measurement, notifications for those insights)."""
    async with coaching.sessions() as s:
        insight_ids = set((await s.execute(select(InsightRow.id).where(
            InsightRow.measurement_id == measurement_id))).scalars())  # type: ignore[arg-type]
    async with notification.sessions() as s:
        rows = (await s.execute(select(NotificationRow).where(
            NotificationRow.user_id == user))).scalars()  # type: ignore[arg-type]
        notes = [r for r in rows if r.data.get("insightId") in insight_ids]
    return len(insight_ids), len(notes)


async def test_high_glucose_reaches_the_owners_phone_live_and_as_push(
    coaching_url: str, notification_url: str, coaching: CoachingResources,
    notification: NotificationResources, settings: Settings, fake_fcm: FakeFcm,
) -> None:
    alice, bob = new_user(), new_user()
    device = device_token()
    await service(notification).register_push_token(alice, device, "ANDROID")
    coaching_workers = CoachingWorkers(coaching, consumer_name="chain-coaching", block_ms=100)
    notification_workers = NotificationWorkers(notification, consumer_name="chain-notification", block_ms=100)
    async with phone(coaching_url, notification_url, token_for(settings, alice), alice, coaching,
                     notification) as (a_insights, a_notes), \
            phone(coaching_url, notification_url, token_for(settings, bob), bob, coaching,
                  notification) as (b_insights, b_notes), \
            coaching_workers.running(), notification_workers.running():
        event = measurement_event(alice, value=280, context="FASTING")
        publisher = EventPublisher(coaching.redis, coaching.settings)
        await publisher.publish(MEASUREMENT_STREAM, event)

        insight = (await a_insights.next(timeout=10))["data"]["coachingInsightReady"]
        assert insight["severity"] == "WARNING" and insight["title"] == "높은 공복 혈당"
        assert insight["measurement"]["id"] == event.data["measurementId"]
        note = (await a_notes.next(timeout=10))["data"]["notificationReceived"]
        assert note["type"] == "COACHING_INSIGHT" and note["title"] == insight["title"]
        assert note["body"] == insight["message"]
        assert await b_insights.nothing_within(0.3) and await b_notes.nothing_within(0.3)

        for _ in range(100):  # the push leaves after the notification committed
            pushed = [m for m in fake_fcm.sent if m["token"] == device]
            if pushed:
                break
            await asyncio.sleep(0.05)
        [push] = pushed
        assert push["notification"]["title"] == "높은 공복 혈당"
        assert push["data"]["insightId"] == insight["id"]
    assert await _counts(coaching, notification, alice, event.data["measurementId"]) == (1, 1)


async def test_nothing_is_lost_or_doubled_when_coaching_was_down(
    coaching_url: str, notification_url: str, coaching: CoachingResources,
    notification: NotificationResources, settings: Settings,
) -> None:
    alice = new_user()
    coaching_workers = CoachingWorkers(coaching, consumer_name="chain-coaching-2", block_ms=100)
    notification_workers = NotificationWorkers(notification, consumer_name="chain-notification-2",
                                               block_ms=100)
    await coaching_workers.prepare()  # the groups exist (the service ran before), the process is down now
    async with phone(coaching_url, notification_url, token_for(settings, alice), alice, coaching,
                     notification) as (insights, notes), notification_workers.running():
        event = measurement_event(alice, value=48, context=None)
        publisher = EventPublisher(coaching.redis, coaching.settings)
        await publisher.publish(MEASUREMENT_STREAM, event)
        await publisher.publish(MEASUREMENT_STREAM, event)  # a duplicate delivery from the publisher's relay
        assert await insights.nothing_within(0.5)
        assert (await coaching_workers.measurements.lag()).lag is not None
        assert (await coaching_workers.measurements.lag()).lag >= 2  # type: ignore[operator]

        async with coaching_workers.running():  # coaching comes back
            got = (await insights.next(timeout=10))["data"]["coachingInsightReady"]
            assert got["severity"] == "URGENT" and got["measurement"]["id"] == event.data["measurementId"]
            note = (await notes.next(timeout=10))["data"]["notificationReceived"]
            assert note["title"] == "심한 저혈당"
            assert await insights.nothing_within(1.0) and await notes.nothing_within(0.5)
            lag = await coaching_workers.measurements.lag()
            assert (lag.pending, lag.lag) == (0, 0)
    assert await _counts(coaching, notification, alice, event.data["measurementId"]) == (1, 1)
