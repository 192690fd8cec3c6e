"""Home's coaching part issues a bounded number of store queries whatever the number of insights (no N+1)."""

from __future__ import annotations

from libs.config import Settings
from libs.testing.graphql import gql
from subgraphs.coaching.resources import CoachingResources
from subgraphs.coaching.settings import CoachingSettings
from tests.subgraphs.coaching.conftest import handle, measurement_event, new_user, token_for
from tests.subgraphs.coaching.sqlcount import count_statements

# What the router sends for Home's `coachingInsights(first: 5) { ... measurement { ... } }`.
HOME_PART = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on User { coachingInsights(first: 5) { id severity title message createdAt measurement { id } } }
  }
}"""


async def _home(url: str, user: str, settings: Settings, copies: int = 1) -> int:
    database = settings.database_name(CoachingSettings().database)
    with count_statements(database) as counter:
        result = await gql(url, HOME_PART, {"reps": [{"__typename": "User", "id": user}] * copies},
                           token=token_for(settings, user))
    assert "errors" not in result, result
    assert all(len(e["coachingInsights"]) <= 5 for e in result["data"]["_entities"])
    return counter.count


async def test_home_coaching_part_is_one_query_for_few_or_many_insights(
    coaching_url: str, coaching: CoachingResources, settings: Settings,
) -> None:
    few, many = new_user(), new_user()
    await handle(coaching, measurement_event(few, value=250))
    for v in range(130, 155):  # 25 insights, each with its measurement
        await handle(coaching, measurement_event(many, value=v, context="BEFORE_MEAL"))
    url = coaching_url + "/graphql"
    assert await _home(url, few, settings) == 1
    assert await _home(url, many, settings) == 1
    assert await _home(url, many, settings, copies=3) == 1  # the router may batch representations
