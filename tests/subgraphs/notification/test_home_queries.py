"""Home's unreadNotificationCount and the Notifications list: a bounded number of queries (no N+1)."""

from __future__ import annotations

from libs.config import Settings
from libs.testing.graphql import gql
from subgraphs.notification.resources import NotificationResources
from subgraphs.notification.settings import NotificationSettings
from tests.subgraphs.coaching.conftest import token_for
from tests.subgraphs.coaching.sqlcount import count_statements
from tests.subgraphs.notification.conftest import insight_event, new_user, service

HOME_PART = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on User { unreadNotificationCount notifications(first: 20) { edges { node { id type title body } } } }
  }
}"""


async def _queries(url: str, user: str, settings: Settings, copies: int = 1) -> int:
    with count_statements(settings.database_name(NotificationSettings().database)) as counter:
        result = await gql(url, HOME_PART, {"reps": [{"__typename": "User", "id": user}] * copies},
                           token=token_for(settings, user))
    assert "errors" not in result, result
    return counter.count


async def test_count_and_list_cost_two_queries_however_many_notifications(
    notification_url: str, notification: NotificationResources, settings: Settings,
) -> None:
    few, many = new_user(), new_user()
    await service(notification).handle_event(insight_event(few))
    for _ in range(30):
        await service(notification).handle_event(insight_event(many))
    url = notification_url + "/graphql"
    assert await _queries(url, few, settings) == 2
    assert await _queries(url, many, settings) == 2
    # Repeated representations share the count's batch; each list is its own page query.
    assert await _queries(url, many, settings, copies=2) == 3
