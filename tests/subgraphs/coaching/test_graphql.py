"""Coaching over GraphQL: User.coachingInsights via _entities, owner-only, and the live subscription."""

from __future__ import annotations

import asyncio
from typing import Any

from libs.config import Settings
from libs.testing.graphql import error_codes, gql
from subgraphs.coaching.resources import CoachingResources
from subgraphs.coaching.worker import LIVE_TOPIC, CoachingWorkers
from tests.subgraphs.coaching.conftest import handle, measurement_event, new_user, token_for
from tests.subgraphs.coaching.ws import subscribe

INSIGHTS = """
query($reps: [_Any!]!, $first: Int!) {
  _entities(representations: $reps) {
    ... on User {
      coachingInsights(first: $first) {
        id severity kind title message locale createdAt measurementType
        rule { id source ruleset }
        measurement { id }
        measurements { id }
        en: message(locale: "en")
      }
    }
  }
}"""

ON_INSIGHT = "subscription { coachingInsightReady { id severity title message measurement { id } } }"


def _reps(*user_ids: str) -> dict[str, Any]:
    return {"reps": [{"__typename": "User", "id": u} for u in user_ids]}


async def _insights_for(coaching: CoachingResources, user: str, *values: float) -> list[str]:
    ids = []
    for v in values:
        ids += [r.id for r in await handle(coaching, measurement_event(user, value=v))]
    return ids


async def test_owner_reads_their_insights_newest_first(
    coaching_url: str, coaching: CoachingResources, settings: Settings,
) -> None:
    user = new_user()
    ids = await _insights_for(coaching, user, 130, 250, 110)
    result = await gql(coaching_url + "/graphql", INSIGHTS, {**_reps(user), "first": 2},
                       token=token_for(settings, user))
    assert "errors" not in result, result
    insights = result["data"]["_entities"][0]["coachingInsights"]
    assert [i["id"] for i in insights] == ids[::-1][:2]
    newest = insights[0]
    assert newest["severity"] == "CAUTION" and newest["kind"] == "THRESHOLD" and newest["locale"] == "ko-KR"
    assert newest["title"] == "공복 혈당 주의" and "110" in newest["en"]
    assert newest["rule"]["id"] == "glucose.fasting.prediabetes_range" and "ADA" in newest["rule"]["source"]
    assert newest["measurement"]["id"] == newest["measurements"][0]["id"]
    assert newest["measurementType"] == "BLOOD_GLUCOSE"


async def test_insights_are_for_their_owner_only(
    coaching_url: str, coaching: CoachingResources, settings: Settings,
) -> None:
    owner, other = new_user(), new_user()
    [insight_id] = await _insights_for(coaching, owner, 250)
    url = coaching_url + "/graphql"
    as_other = await gql(url, INSIGHTS, {**_reps(owner), "first": 5}, token=token_for(settings, other))
    assert error_codes(as_other) == ["FORBIDDEN"]
    admin = token_for(settings, other, ["ADMIN"])
    staff = await gql(url, INSIGHTS, {**_reps(owner), "first": 5}, token=admin)
    assert error_codes(staff) == ["FORBIDDEN"]
    anonymous = await gql(url, INSIGHTS, {**_reps(owner), "first": 5})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    one = "query($id: ID!) { insight(id: $id) { id } }"
    not_mine = await gql(url, one, {"id": insight_id}, token=token_for(settings, other))
    assert error_codes(not_mine) == ["NOT_FOUND"]
    mine = await gql(url, one, {"id": insight_id}, token=token_for(settings, owner))
    assert mine["data"]["insight"]["id"] == insight_id
    entity = "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Insight { id title } } }"
    stolen = await gql(url, entity, {"reps": [{"__typename": "Insight", "id": insight_id}]},
                       token=token_for(settings, other))
    assert error_codes(stolen) == ["FORBIDDEN"]
    bad = await gql(url, INSIGHTS, {**_reps(owner), "first": 0}, token=token_for(settings, owner))
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def test_subscription_delivers_new_insights_to_their_owner_only(
    coaching_url: str, coaching: CoachingResources, settings: Settings,
) -> None:
    alice, bob = new_user(), new_user()
    async with subscribe(coaching_url, ON_INSIGHT, token_for(settings, alice)) as a, \
            subscribe(coaching_url, ON_INSIGHT, token_for(settings, bob)) as b:
        for user in (alice, bob):
            for _ in range(100):
                if await coaching.live.listeners(LIVE_TOPIC, user):
                    break
                await asyncio.sleep(0.02)
        async with CoachingWorkers(coaching, consumer_name="test-graphql", block_ms=100).running():
            from libs.events import EventPublisher
            from libs.events.streams import MEASUREMENT_STREAM

            event = measurement_event(alice, value=45, context=None)
            await EventPublisher(coaching.redis, coaching.settings).publish(MEASUREMENT_STREAM, event)
            got = (await a.next(timeout=10))["data"]["coachingInsightReady"]
        assert got["severity"] == "URGENT" and got["measurement"]["id"] == event.data["measurementId"]
        assert got["title"] == "심한 저혈당"
        assert await b.nothing_within(0.5)


async def test_subscription_requires_a_token(coaching_url: str) -> None:
    async with subscribe(coaching_url, ON_INSIGHT, None) as s:
        try:
            payload = await s.next(timeout=5)
        except AssertionError as e:  # an `error` message ends the operation
            assert "authentication required" in str(e)
        else:
            assert error_codes(payload) == ["UNAUTHENTICATED"] and not payload.get("data")


async def test_ready_reports_the_stores_and_the_event_backlog(coaching_url: str) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        r = await client.get(coaching_url + "/ready")
    assert r.status_code == 200
    checks = r.json()["checks"]
    assert checks["database"] == "ok" and checks["redis"] == "ok"
    assert "events:measurement/coaching" in checks


async def test_coaching_profile_is_the_owners_to_read_and_set(coaching_url: str, settings: Settings) -> None:
    user, other = new_user(), new_user()
    url = coaching_url + "/graphql"
    update = """mutation($input: CoachingProfileInput!) {
      updateCoachingProfile(input: $input) { locale region timeZone heightCm } }"""
    profile = {"region": "us", "heightCm": 182.5, "timeZone": "America/New_York"}
    ok = await gql(url, update, {"input": profile}, token=token_for(settings, user))
    assert ok["data"]["updateCoachingProfile"] == {**profile, "region": "US", "locale": None}
    for bad, field in (({"heightCm": 20}, "heightCm"), ({"region": "Korea"}, "region"),
                       ({"timeZone": "Nowhere/City"}, "timeZone")):
        result = await gql(url, update, {"input": bad}, token=token_for(settings, user))
        assert error_codes(result) == ["BAD_USER_INPUT"]
        assert result["errors"][0]["extensions"]["field"] == field
    read = ("query($reps: [_Any!]!) { _entities(representations: $reps) "
            "{ ... on User { coachingProfile { region } } } }")
    reps = {"reps": [{"__typename": "User", "id": user}]}
    assert (await gql(url, read, reps, token=token_for(settings, user)))["data"]["_entities"][0] == {
        "coachingProfile": {"region": "US"}}
    assert error_codes(await gql(url, read, reps, token=token_for(settings, other))) == ["FORBIDDEN"]
