"""measurement.recorded -> insights: one commit per event, idempotent, outbox, and the running workers."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from libs.config import Settings
from libs.events import CloudEvent, DropEvent, EventPublisher
from libs.events.streams import COACHING_INSIGHT_CREATED, COACHING_STREAM, MEASUREMENT_STREAM, stream_key
from subgraphs.coaching.models import CoachingOutbox, InsightRow
from subgraphs.coaching.resources import CoachingResources
from subgraphs.coaching.worker import CoachingWorkers, handle_measurements
from tests.subgraphs.coaching.conftest import handle, measurement_event, new_user, service


async def _outbox_for(res: CoachingResources, insight_ids: list[str]) -> list[CoachingOutbox]:
    async with res.sessions() as s:
        rows = (await s.execute(select(CoachingOutbox))).scalars().all()
    return [r for r in rows if r.envelope["data"]["insightId"] in insight_ids]


async def test_high_fasting_glucose_becomes_a_cited_insight_in_both_languages(
    coaching: CoachingResources,
) -> None:
    user = new_user()
    event = measurement_event(user, value=250, context="FASTING")
    [row] = await handle(coaching, event)
    assert (row.user_id, row.measurement_id, row.severity, row.kind) == (
        user, event.data["measurementId"], "WARNING", "THRESHOLD")
    assert row.rule_id == "glucose.fasting.diabetes_range" and "ADA" in row.rule_source
    assert row.measurement_ids == [event.data["measurementId"]] and row.ruleset == "KR"
    assert "250" in row.texts["ko"]["message"] and "250" in row.texts["en"]["message"]
    assert row.locale == "ko-KR"
    [outbox] = await _outbox_for(coaching, [row.id])
    assert outbox.stream == COACHING_STREAM and outbox.event_type == COACHING_INSIGHT_CREATED
    data = outbox.envelope["data"]
    assert data["userId"] == user and data["severity"] == "WARNING" and data["title"]["ko"]
    assert data["timeZone"] == "Asia/Seoul"


async def test_a_redelivered_or_republished_event_writes_nothing_twice(coaching: CoachingResources) -> None:
    user = new_user()
    event = measurement_event(user, value=45, context=None)
    first = await handle(coaching, event)
    assert [r.rule_id for r in first] == ["glucose.hypo.level2"]
    assert await handle(coaching, event) == []
    # The same measurement under a new event id (a relay that lost its marker) is recognised too.
    again = CloudEvent.new(event.type, event.source, event.subject, event.data)
    assert await handle(coaching, again) == []
    async with service(coaching) as s:
        assert len((await s.latest_insights([user], 10))[user]) == 1


async def test_region_and_locale_from_the_event_pick_rules_and_language(coaching: CoachingResources) -> None:
    user = new_user()
    event = measurement_event(user, "BLOOD_PRESSURE", None, None, context="RESTING", locale="en-US",
                              components=[{"code": "SYSTOLIC", "value": 135, "unit": "mm[Hg]"},
                                          {"code": "DIASTOLIC", "value": 85, "unit": "mm[Hg]"}])
    [row] = await handle(coaching, event)
    assert (row.rule_id, row.ruleset, row.locale) == ("bp.acc_aha.stage1", "INTL", "en-US")


async def test_a_normal_reading_gives_no_insight(coaching: CoachingResources) -> None:
    assert await handle(coaching, measurement_event(new_user(), value=90)) == []


async def test_malformed_events_are_dropped_not_retried(coaching: CoachingResources) -> None:
    bad = CloudEvent.new("measurement.recorded", "/subgraphs/measurement", None, {"type": "BLOOD_GLUCOSE"})
    with pytest.raises(DropEvent):
        await handle(coaching, bad)


async def test_trend_insight_names_the_readings_and_is_not_repeated(coaching: CoachingResources) -> None:
    user = new_user()
    now = datetime.now(UTC)
    for i in range(3):
        await handle(coaching, measurement_event(
            user, value=100, context="RANDOM", taken_at=now - timedelta(days=10, hours=i)))
    ids = []
    for i in range(2):
        e = measurement_event(user, value=125, context="RANDOM", taken_at=now - timedelta(days=1, hours=i))
        ids.append(e.data["measurementId"])
        await handle(coaching, e)
    last = measurement_event(user, value=130, context="RANDOM", taken_at=now)
    [trend] = await handle(coaching, last)
    assert trend.rule_id == "trend.rising_average.blood_glucose" and trend.kind == "TREND"
    assert trend.measurement_id == last.data["measurementId"]
    assert set(ids) | {last.data["measurementId"]} <= set(trend.measurement_ids)
    assert len(trend.measurement_ids) == 6
    assert await handle(coaching, measurement_event(user, value=131, context="RANDOM")) == []


def _trend_scenario(user: str) -> list[CloudEvent]:
    now = datetime.now(UTC)
    events = [measurement_event(user, value=100, context="RANDOM", taken_at=now - timedelta(days=10, hours=i))
              for i in range(3)]
    events += [measurement_event(user, value=125, context="RANDOM", taken_at=now - timedelta(days=1, hours=i))
               for i in range(2)]
    events += [measurement_event(user, value=v, context="RANDOM", taken_at=now + timedelta(minutes=i))
               for i, v in enumerate((130, 131))]
    events.append(measurement_event(user, value=45, context=None))
    return events


async def test_a_batch_gives_what_one_by_one_gives_in_one_transaction(coaching: CoachingResources) -> None:
    one_by_one, batched = new_user(), new_user()
    singles = [[r.rule_id for r in await handle(coaching, e)]
               for e in _trend_scenario(one_by_one)]
    assert singles[5] == ["trend.rising_average.blood_glucose"] and singles[6] == []  # quiet after the first
    events = _trend_scenario(batched)
    again = CloudEvent.new(events[-1].type, events[-1].source, events[-1].subject, events[-1].data)
    handled = await handle_measurements(coaching, [*events, events[0], again])  # duplicates: once
    assert [r.rule_id for r in handled.items] == [rule for rules in singles for rule in rules]
    [trend] = [r for r in handled.items if r.kind == "TREND"]
    assert trend.measurement_id == events[5].data["measurementId"] and len(trend.measurement_ids) == 6
    assert sorted(r.event_id for r in handled.outbox) == sorted(
        r.envelope["id"] for r in await _outbox_for(coaching, [i.id for i in handled.items]))
    assert (await handle_measurements(coaching, events)).items == []  # redelivered batch: nothing twice
    async with service(coaching) as s:
        assert len((await s.latest_insights([batched], 10))[batched]) == len(handled.items)


async def test_workers_consume_the_stream_and_publish_insights(
    coaching: CoachingResources, redis: Redis, settings: Settings,
) -> None:
    user = new_user()
    workers = CoachingWorkers(coaching, consumer_name="test-worker", block_ms=100)
    async with workers.running():
        event = measurement_event(user, value=300, context="AFTER_MEAL")
        await EventPublisher(redis, coaching.settings).publish(MEASUREMENT_STREAM, event)
        for _ in range(100):
            published = [f for _, f in await redis.xrange(stream_key(coaching.settings, COACHING_STREAM))
                         if CloudEvent.from_json(f["event"]).data.get("userId") == user]
            if published:
                break
            await asyncio.sleep(0.05)
    [fields] = published
    insight = CloudEvent.from_json(fields["event"])
    assert insight.type == COACHING_INSIGHT_CREATED
    assert insight.data["measurementId"] == event.data["measurementId"]
    async with coaching.sessions() as s:
        count = (await s.execute(select(func.count()).select_from(InsightRow)
                                 .where(InsightRow.user_id == user))).scalar_one()  # type: ignore[arg-type]
    assert count == 1
    lag = await workers.measurements.lag()
    assert lag.pending == 0 and lag.dead_letters == 0


async def test_the_owners_profile_enables_bmi_and_wins_over_the_event(coaching: CoachingResources) -> None:
    user = new_user()
    weight = {"type_": "BODY_WEIGHT", "unit": "kg", "context": None}
    assert await handle(coaching, measurement_event(user, value=75, **weight)) == []  # no height
    async with service(coaching) as s:
        await s.update_profile(user, locale="en-US", region="KR", time_zone=None, height_cm=170)
    [row] = await handle(coaching, measurement_event(user, value=75, locale="ko-KR", **weight))
    # BMI 26.0: Korean cut-offs (region KR from the profile), English (the profile beats the event's locale).
    assert (row.rule_id, row.ruleset, row.locale) == ("bmi.ksso.obesity1", "KR", "en-US")
    assert "26.0" in row.texts["en"]["message"]


async def test_old_processed_markers_are_pruned(coaching: CoachingResources) -> None:
    from sqlalchemy import update

    from subgraphs.coaching.models import CoachingProcessedEvent

    event = measurement_event(new_user(), value=250)
    await handle(coaching, event)
    workers = CoachingWorkers(coaching, consumer_name="test-prune")
    await workers.prune()
    async with coaching.sessions() as s:
        from subgraphs.coaching.repository import CoachingRepository

        assert await CoachingRepository(s).already_processed("coaching", event.id)  # recent: kept
    async with coaching.sessions() as s:
        await s.execute(update(CoachingProcessedEvent).where(
            CoachingProcessedEvent.event_id == event.id)  # type: ignore[arg-type]
            .values(processed_at=datetime.now(UTC) - timedelta(days=31)))
        await s.commit()
    assert await workers.prune() >= 1
    async with coaching.sessions() as s:
        from subgraphs.coaching.repository import CoachingRepository

        assert not await CoachingRepository(s).already_processed("coaching", event.id)


async def test_a_new_template_version_words_the_next_insight(coaching: CoachingResources) -> None:
    """The translation subgraph's event reaches the running workers' catalogue (no restart, no call per
    message); an older version arriving late changes nothing, a malformed one is not taken."""
    from libs.events.streams import TEMPLATE_UPDATED, TRANSLATION_STREAM

    key = "coaching.glucose.hypo.level1.message"
    held = coaching.deps.catalogue.get(key, "en")
    assert held is not None
    publisher = EventPublisher(coaching.redis, coaching.settings)

    async def publish(body: str, version: int, locale: str = "en") -> None:
        await publisher.publish(TRANSLATION_STREAM, CloudEvent.new(
            TEMPLATE_UPDATED, "/subgraphs/translation", None,
            {"key": key, "locale": locale, "body": body, "version": version}))

    workers = CoachingWorkers(coaching, block_ms=50)
    try:
        async with workers.running():
            await publish("Low: {value} mg/dL. Eat 15 g of sugar.", held.version + 1)
            await publish("An older text {value}", held.version)
            await publish("{broken", held.version + 2)
            for _ in range(100):
                if coaching.deps.catalogue.localize(key, "en", {"value": 65}).startswith("Low: 65"):
                    break
                await asyncio.sleep(0.05)
        [row] = await handle(coaching, measurement_event(new_user(), value=65, context=None))
        assert row.texts["en"]["message"] == "Low: 65 mg/dL. Eat 15 g of sugar."
        assert row.texts["en"]["title"] == "Low blood glucose"  # not changed: as shipped
        assert "65 mg/dL" in row.texts["ko"]["message"]
        # its date and time, the Korean way
        assert re.match(r"\d{4}년 \d{1,2}월 \d{1,2}일 오[전후] ", row.texts["ko"]["message"])
    finally:  # the catalogue is the session's: leave the shipped text for the other tests
        coaching.deps.catalogue.apply(key, "en", held.body, held.version + 100)


async def test_insights_are_worded_in_the_language_auth_announced(coaching: CoachingResources) -> None:
    from libs.events.streams import USER_LOCALE_CHANGED, USER_SIGNED_UP

    english, japanese = new_user(), new_user()
    async with service(coaching) as s:
        assert await s.handle_account(CloudEvent.new(USER_SIGNED_UP, "/subgraphs/auth", english,
                                                     {"userId": english, "locale": "en-US"}))
        assert await s.handle_account(CloudEvent.new(USER_SIGNED_UP, "/subgraphs/auth", japanese,
                                                     {"userId": japanese, "locale": "ko-KR"}))
    async with service(coaching) as s:
        assert await s.handle_account(CloudEvent.new(USER_LOCALE_CHANGED, "/subgraphs/auth", japanese,
                                                     {"userId": japanese, "locale": "ja-JP"}))
        assert not await s.handle_account(CloudEvent.new(USER_LOCALE_CHANGED, "/subgraphs/auth", japanese,
                                                         {"userId": japanese, "locale": "ja-JP"}))
        with pytest.raises(DropEvent):
            await s.handle_account(CloudEvent.new(USER_LOCALE_CHANGED, "/a", None, {"userId": japanese}))
    # The measurement event names no locale (measurement does not know it): the profile does.
    [en_row] = await handle(coaching, measurement_event(english, value=320, context=None))
    [ja_row] = await handle(coaching, measurement_event(japanese, value=320, context=None))
    assert en_row.locale == "en-US" and ja_row.locale == "ja-JP"
    assert en_row.texts["en"]["title"] == "Very high blood glucose"
    assert ja_row.texts["ja"]["title"] == "非常に高い血糖値" and ja_row.texts["ja"]["locale"] == "ja"
    # Switching language later: the insights already written read in the new one (they hold every locale).
    async with service(coaching) as s:
        assert await s.handle_account(CloudEvent.new(USER_LOCALE_CHANGED, "/subgraphs/auth", japanese,
                                                     {"userId": japanese, "locale": "ko-KR"}))
    async with service(coaching) as s:
        [row] = (await s.latest_insights([japanese], 5))[japanese]
    assert row.locale == "ko-KR" and row.texts["ko"]["title"] == "매우 높은 혈당"
