"""Issue 5's "done when", through the router: a phone subscribed to OnCoachingInsight and OnNotification
records a high glucose value with RecordMeasurement and receives both, with the measurement's fields resolved
from the measurement subgraph; another user's phone receives nothing.

Real processes where it matters: the router is its own process (its CLI); measurement, coaching and
notification are served on sockets with their workers running, in a Redis key space of their own.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from libs.config import Settings
from libs.events import LiveHub
from libs.redis import create_redis
from libs.testing import running_app
from libs.testing.graphql import gql
from libs.testing.operations import contract_operation
from libs.testing.router import router_process
from subgraphs.notification.settings import NotificationSettings
from tests.subgraphs.coaching.ws import subscribe
from tests.subgraphs.notification.fake_fcm import FakeFcm


@dataclass
class Stack:
    url: str  # the router's base URL
    settings: Settings


@pytest.fixture(scope="module")
async def stack(notification_settings: Settings, notification_own: NotificationSettings,
                fake_fcm: FakeFcm) -> AsyncIterator[Stack]:
    settings = notification_settings.model_copy(update={
        "redis_prefix": notification_settings.redis_prefix.replace("cn:", "cnr:")})
    from subgraphs.auth.app import create_app as auth_app
    from subgraphs.coaching.app import create_app as coaching_app
    from subgraphs.coaching.settings import CoachingSettings
    from subgraphs.measurement.app import create_app as measurement_app
    from subgraphs.notification.app import create_app as notification_app

    async with AsyncExitStack() as stack:
        urls = {}
        apps = (("auth", auth_app(settings)), ("measurement", measurement_app(settings)),
                ("coaching", coaching_app(settings, CoachingSettings(workers=True))),
                ("notification", notification_app(settings, notification_own.model_copy(
                    update={"workers": True}))))
        for name, app in apps:
            urls[name] = await stack.enter_async_context(running_app(app)) + "/graphql"
        base = await stack.enter_async_context(router_process(urls, settings))
        yield Stack(base, settings)


async def _until_listening(hub: LiveHub, topic: str, user: str) -> None:
    for _ in range(250):
        if await hub.listeners(topic, user):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{topic} subscription of {user} never reached the subgraph")


async def _sign_up(stack: Stack) -> tuple[str, str]:
    """(user id, access token) of a new account, through the router with the contract's SignUp."""
    result = await gql(stack.url + "/graphql", contract_operation("SignUp"), {"input": {
        "email": f"chain-{secrets.token_hex(5)}@example.com", "password": "correct horse battery staple",
        "displayName": "김민지", "locale": "ko-KR"}})
    assert "errors" not in result, result
    return result["data"]["signUp"]["user"]["id"], result["data"]["signUp"]["tokens"]["accessToken"]


# Home's parts that exist so far (payment and video subgraphs are still to come).
HOME = """query { me { id coachingInsights(first: 5) { id severity title message createdAt
  measurement { id type value unit takenAt } } unreadNotificationCount } }"""


async def test_record_high_glucose_and_both_subscriptions_fire_for_the_owner_only(stack: Stack) -> None:
    (alice, a_token), (bob, b_token) = await _sign_up(stack), await _sign_up(stack)
    redis = create_redis(stack.settings.redis_url)
    hub = LiveHub(redis, stack.settings)
    try:
        async with subscribe(stack.url, contract_operation("OnCoachingInsight"), a_token) as a_insights, \
                subscribe(stack.url, contract_operation("OnNotification"), a_token) as a_notes, \
                subscribe(stack.url, contract_operation("OnCoachingInsight"), b_token) as b_insights:
            for topic, user in (("coaching", alice), ("notification", alice), ("coaching", bob)):
                await _until_listening(hub, topic, user)
            recorded = await gql(stack.url + "/graphql", contract_operation("RecordMeasurement"), {"input": {
                "type": "BLOOD_GLUCOSE", "value": 250, "unit": "mg/dL", "source": "MANUAL",
                "context": "FASTING", "takenAt": datetime.now(UTC).replace(microsecond=0).isoformat(),
                "clientId": secrets.token_hex(8)}}, token=a_token)
            assert "errors" not in recorded, recorded
            measurement = recorded["data"]["recordMeasurement"]

            insight = (await a_insights.next(timeout=15))["data"]["coachingInsightReady"]
            assert insight["severity"] == "WARNING" and insight["title"] == "높은 공복 혈당"
            assert insight["measurement"] == {"id": measurement["id"], "type": "BLOOD_GLUCOSE", "value": 250,
                                              "unit": "mg/dL"}
            note = (await a_notes.next(timeout=15))["data"]["notificationReceived"]
            assert note["type"] == "COACHING_INSIGHT" and note["title"] == insight["title"]
            assert await b_insights.nothing_within(0.5)

        # The contract's Notifications: the insight's, beside auth's welcome (user.signed_up), which travels
        # on its own and is waited for so that the count below is stable.
        for _ in range(50):
            listed = await gql(stack.url + "/graphql", contract_operation("Notifications"), {"first": 10},
                               token=a_token)
            nodes = [e["node"] for e in listed["data"]["me"]["notifications"]["edges"]]
            if any(n["type"] == "WELCOME" for n in nodes):
                break
            await asyncio.sleep(0.1)
        assert [n["id"] for n in nodes if n["type"] == "COACHING_INSIGHT"] == [note["id"]]
        assert {n["type"] for n in nodes} <= {"COACHING_INSIGHT", "WELCOME"}
        home = await gql(stack.url + "/graphql", HOME, token=a_token)
        assert "errors" not in home, home
        me = home["data"]["me"]
        assert [i["id"] for i in me["coachingInsights"]] == [insight["id"]]
        assert me["coachingInsights"][0]["measurement"]["takenAt"]
        assert me["unreadNotificationCount"] == len(nodes)
        others = await gql(stack.url + "/graphql", HOME, token=b_token)
        assert others["data"]["me"]["coachingInsights"] == []
    finally:
        await hub.close()
        await redis.aclose()
