"""Notification over GraphQL: the contract's operations, owner-only access, the live subscription."""

from __future__ import annotations

import asyncio
from typing import Any

from libs.config import Settings
from libs.testing.graphql import error_codes, gql
from subgraphs.notification.resources import NotificationResources
from subgraphs.notification.worker import LIVE_TOPIC, NotificationWorkers
from tests.subgraphs.coaching.conftest import token_for
from tests.subgraphs.coaching.ws import subscribe
from tests.subgraphs.notification.conftest import device_token, insight_event, new_user, service

# The contract's Notifications query and Home's count, as the router sends them to this subgraph.
NOTIFICATIONS = """
query($reps: [_Any!]!, $first: Int!, $after: String) {
  _entities(representations: $reps) {
    ... on User {
      unreadNotificationCount
      notifications(first: $first, after: $after) {
        edges { cursor node { id type title body readAt createdAt priority links { key value } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}"""
MARK_READ = "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }"
REGISTER = "mutation($input: RegisterPushTokenInput!) { registerPushToken(input: $input) }"
ON_NOTIFICATION = "subscription { notificationReceived { id type title body createdAt } }"


def _vars(user: str, first: int = 10, after: str | None = None) -> dict[str, Any]:
    return {"reps": [{"__typename": "User", "id": user}], "first": first, "after": after}


async def test_list_count_and_mark_read(
    notification_url: str, notification: NotificationResources, settings: Settings,
) -> None:
    user, other = new_user(), new_user()
    rows = [(await service(notification).handle_event(insight_event(user)))[0] for _ in range(3)]
    [theirs] = await service(notification).handle_event(insight_event(other))
    url, token = notification_url + "/graphql", token_for(settings, user)

    first = await gql(url, NOTIFICATIONS, _vars(user, 2), token=token)
    assert "errors" not in first, first
    me = first["data"]["_entities"][0]
    assert me["unreadNotificationCount"] == 3
    page = me["notifications"]
    assert [e["node"]["id"] for e in page["edges"]] == [rows[2].id, rows[1].id]
    assert page["pageInfo"]["hasNextPage"] is True
    node = page["edges"][0]["node"]
    assert node["type"] == "COACHING_INSIGHT" and node["title"] == "높은 공복 혈당" and node["readAt"] is None
    assert {"key": "insightId", "value": rows[2].data["insightId"]} in node["links"]
    rest = await gql(url, NOTIFICATIONS, _vars(user, 2, page["pageInfo"]["endCursor"]), token=token)
    assert [e["node"]["id"] for e in rest["data"]["_entities"][0]["notifications"]["edges"]] == [rows[0].id]

    marked = await gql(url, MARK_READ, {"ids": [rows[0].id, rows[1].id, theirs.id]}, token=token)
    assert marked["data"]["markNotificationsRead"] == 2  # someone else's id changes nothing
    after = await gql(url, NOTIFICATIONS, _vars(user), token=token)
    assert after["data"]["_entities"][0]["unreadNotificationCount"] == 1
    assert (await service(notification).unread_counts([other]))[other] == 1


async def test_owner_only(notification_url: str, settings: Settings) -> None:
    user, other = new_user(), new_user()
    url = notification_url + "/graphql"
    stolen = await gql(url, NOTIFICATIONS, _vars(user), token=token_for(settings, other))
    assert set(error_codes(stolen)) == {"FORBIDDEN"} and stolen["data"]["_entities"] == [None]
    assert "UNAUTHENTICATED" in error_codes(await gql(url, NOTIFICATIONS, _vars(user)))
    assert error_codes(await gql(url, MARK_READ, {"ids": ["x"]})) == ["UNAUTHENTICATED"]


async def test_register_push_token_and_settings(
    notification_url: str, notification: NotificationResources, settings: Settings,
) -> None:
    user = new_user()
    url, token = notification_url + "/graphql", token_for(settings, user)
    ok = await gql(url, REGISTER, {"input": {"token": device_token(), "platform": "IOS"}}, token=token)
    assert ok["data"]["registerPushToken"] is True
    bad = await gql(url, REGISTER, {"input": {"token": "short", "platform": "IOS"}}, token=token)
    assert error_codes(bad) == ["BAD_USER_INPUT"] and bad["errors"][0]["extensions"]["field"] == "token"
    update = """mutation($input: NotificationSettingsInput!) {
      updateNotificationSettings(input: $input) { timeZone quietHours { start end }
        preferences { type channel enabled } } }"""
    result = await gql(url, update, {"input": {"timeZone": "Asia/Seoul", "quietHoursStart": "22:00",
                                               "quietHoursEnd": "07:00"}}, token=token)
    s = result["data"]["updateNotificationSettings"]
    assert s["timeZone"] == "Asia/Seoul" and s["quietHours"] == {"start": "22:00", "end": "07:00"}
    assert {"type": "COACHING_INSIGHT", "channel": "PUSH", "enabled": True} in s["preferences"]
    wrong = await gql(url, update, {"input": {"timeZone": "Mars/Olympus"}}, token=token)
    assert error_codes(wrong) == ["BAD_USER_INPUT"]
    assert wrong["errors"][0]["extensions"]["field"] == "timeZone"
    pref = """mutation { setNotificationPreference(type: COACHING_INSIGHT, channel: PUSH, enabled: false) {
      preferences { type channel enabled } } }"""
    prefs = (await gql(url, pref, token=token))["data"]["setNotificationPreference"]["preferences"]
    assert {"type": "COACHING_INSIGHT", "channel": "PUSH", "enabled": False} in prefs


async def test_subscription_delivers_to_the_owner_only(
    notification_url: str, notification: NotificationResources, settings: Settings,
) -> None:
    alice, bob = new_user(), new_user()
    async with subscribe(notification_url, ON_NOTIFICATION, token_for(settings, alice)) as a, \
            subscribe(notification_url, ON_NOTIFICATION, token_for(settings, bob)) as b:
        for user in (alice, bob):
            for _ in range(100):
                if await notification.live.listeners(LIVE_TOPIC, user):
                    break
                await asyncio.sleep(0.02)
        async with NotificationWorkers(notification, consumer_name="test-graphql", block_ms=100).running():
            from libs.events import EventPublisher
            from libs.events.streams import COACHING_STREAM

            event = insight_event(alice)
            await EventPublisher(notification.redis, notification.settings).publish(COACHING_STREAM, event)
            got = (await a.next(timeout=10))["data"]["notificationReceived"]
        assert got["type"] == "COACHING_INSIGHT" and got["title"] == "높은 공복 혈당"
        assert await b.nothing_within(0.5)


async def test_subscription_reads_the_row_when_a_message_carries_only_its_id(
    notification_url: str, notification: NotificationResources, settings: Settings,
) -> None:
    """Messages from before `notification.created` carried the whole row (a relay catching up) still work."""
    alice = new_user()
    [row] = await service(notification).handle_event(insight_event(alice))
    async with subscribe(notification_url, ON_NOTIFICATION, token_for(settings, alice)) as a:
        for _ in range(100):
            if await notification.live.listeners(LIVE_TOPIC, alice):
                break
            await asyncio.sleep(0.02)
        await notification.live.publish(LIVE_TOPIC, alice, {"notificationId": row.id})
        got = (await a.next(timeout=10))["data"]["notificationReceived"]
    assert got["id"] == row.id and got["title"] == "높은 공복 혈당"
