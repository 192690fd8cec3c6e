"""Coaching rules in action: a `measurement.recorded` event becomes zero or more cited, localised insights.

One event, one commit: the reading joins the owner's history; the insights, their `coaching.insight_created`
outbox rows and the processed-event marker are written in the same transaction. The consumer hands over a
whole read at once (`handle_events`): one transaction for all, the same results as one by one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.config import Settings
from libs.db.sql import unit_of_work
from libs.errors import BadUserInput
from libs.events import CloudEvent, DropEvent, OutboxBase
from libs.events.streams import (
    COACHING_INSIGHT_CREATED,
    COACHING_STREAM,
    MEASUREMENT_RECORDED,
    TEMPLATE_UPDATED,
)
from subgraphs.coaching.domain import (
    InvalidMeasurement,
    Person,
    Reading,
    parse_person,
    parse_reading,
    valid_zone,
)
from subgraphs.coaching.enrich import MessageEnricher
from subgraphs.coaching.messages import Overrides, override_ids, render
from subgraphs.coaching.models import CoachingProfileRow, InsightRow, ReadingRow, as_utc, utcnow
from subgraphs.coaching.repository import CoachingRepository
from subgraphs.coaching.rules import Finding, evaluate, ruleset_for

CONSUMER_GROUP = "coaching"
MIN_HEIGHT_CM, MAX_HEIGHT_CM = 50, 272
LOCALE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
SOURCE = "/subgraphs/coaching"
HISTORY = timedelta(days=14)
# A trend insight repeats at most once in this window, or every new high reading would re-announce it.
TREND_QUIET = timedelta(hours=72)


@dataclass(slots=True)
class Handled:
    insights: list[InsightRow]
    outbox: list[OutboxBase]  # committed, for the worker to publish at once


def reading_from_row(row: ReadingRow) -> Reading:
    return Reading(id=row.id, user_id=row.user_id, type=row.type, value=row.value, unit=row.unit,
                   components={k: float(v) for k, v in (row.components or {}).items()},
                   taken_at=as_utc(row.taken_at), context=row.context)


def row_from_reading(r: Reading) -> ReadingRow:
    return ReadingRow(id=r.id, user_id=r.user_id, type=r.type, value=r.value, unit=r.unit,
                      components=dict(r.components), taken_at=r.taken_at, context=r.context)


def profile_values(row: CoachingProfileRow | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {"locale": row.locale, "region": row.region, "timeZone": row.time_zone, "heightCm": row.height_cm}


def insight_event(row: InsightRow, person: Person) -> CloudEvent:
    texts = row.texts
    data: dict[str, Any] = {
        "insightId": row.id, "userId": row.user_id, "measurementId": row.measurement_id,
        "measurementIds": row.measurement_ids, "measurementType": row.measurement_type,
        "severity": row.severity, "kind": row.kind, "ruleId": row.rule_id, "ruleSource": row.rule_source,
        "locale": row.locale, "timeZone": person.time_zone.key,
        "title": {lang: t["title"] for lang, t in texts.items()},
        "message": {lang: t["message"] for lang, t in texts.items()},
        "createdAt": as_utc(row.created_at).isoformat(),
    }
    return CloudEvent.new(COACHING_INSIGHT_CREATED, SOURCE, row.id, data)


class CoachingService:
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession],
                 enricher: MessageEnricher | None = None) -> None:
        self.settings = settings
        self.sessions = sessions
        self.enricher = enricher

    async def handle_template(self, event: CloudEvent) -> bool:
        """A text override from the translation subgraph; True when it was stored (newer than ours)."""
        if event.type != TEMPLATE_UPDATED:
            return False
        d = event.data
        key, locale, body, version = d.get("key"), d.get("locale"), d.get("body"), d.get("version")
        if not (isinstance(key, str) and key.startswith("coaching.")):
            return False  # another subgraph's text
        if not (isinstance(locale, str) and locale and isinstance(body, str) and body
                and isinstance(version, int)):
            raise DropEvent("template events need key, locale, body and an integer version")
        async with unit_of_work(self.sessions) as session:
            return await CoachingRepository(session).save_template(
                key[:200], locale.lower().split("-")[0][:10], body[:2000], version)

    async def handle_event(self, event: CloudEvent) -> list[InsightRow]:
        """The consumer's handler. Returns the insights written (none for a redelivered event)."""
        return (await self.handle_events([event])).insights

    async def handle_events(self, events: Sequence[CloudEvent]) -> Handled:
        """Events of one consumer read, in stream order, in one transaction: the same results as handling
        them one by one, in a handful of queries for the whole batch instead of seven per event."""
        measured: list[tuple[CloudEvent, Reading]] = []
        for event in events:
            if event.type != MEASUREMENT_RECORDED:
                continue
            try:
                measured.append((event, parse_reading(event.data, event.timestamp)))
            except InvalidMeasurement as e:
                raise DropEvent(str(e)) from e
        out = Handled([], [])
        if not measured:
            return out
        if self.enricher is not None:  # the language model rewords outside any transaction, one by one
            for event, reading in measured:
                await self._handle_enriched(event, reading, out)
            return out
        async with unit_of_work(self.sessions) as session:
            repo = CoachingRepository(session)
            done = await repo.processed_ids(CONSUMER_GROUP, [e.id for e, _ in measured])
            # A measurement published again under a new event id is known by its reading.
            known = await repo.existing_reading_ids([r.id for _, r in measured])
            fresh = []
            for event, reading in measured:
                if event.id not in done and reading.id not in known:
                    done.add(event.id)
                    known.add(reading.id)
                    fresh.append((event, reading))
            if not fresh:
                return out
            users = sorted({r.user_id for _, r in fresh})
            profiles = await repo.profiles(users)
            # Everyone's history in one query; each reading then sees its own window, including the readings
            # earlier in this batch (as it would had they been committed one by one).
            history: dict[tuple[str, str], list[Reading]] = {}
            for row in await repo.readings_of(users, sorted({r.type for _, r in fresh}),
                                              min(r.taken_at for _, r in fresh) - HISTORY,
                                              max(r.taken_at for _, r in fresh)):
                history.setdefault((row.user_id, row.type), []).append(reading_from_row(row))
            judged: list[tuple[CloudEvent, Reading, Person, list[Finding]]] = []
            for event, reading in fresh:
                person = parse_person(event.data, default_locale=self.settings.coaching_default_locale,
                                      default_time_zone=self.settings.default_time_zone,
                                      profile=profile_values(profiles.get(reading.user_id)))
                mine = history.setdefault((reading.user_id, reading.type), [])
                since, until = reading.taken_at - HISTORY, reading.taken_at
                window = sorted((h for h in mine if since < h.taken_at <= until and h.id != reading.id),
                                key=lambda h: h.taken_at)
                judged.append((event, reading, person, evaluate(reading, person, [*window, reading])))
                mine.append(reading)
            trend_rules = sorted({f.rule_id for *_, fs in judged for f in fs if f.kind == "TREND"})
            quiet = await repo.recent_rule_pairs(
                sorted({r.user_id for _, r, _, fs in judged if any(f.kind == "TREND" for f in fs)}),
                trend_rules, utcnow() - TREND_QUIET)
            texts = await repo.template_overrides(
                sorted({k for *_, fs in judged for f in fs for k in override_ids(f.rule_id)}))
            for event, reading, person, findings in judged:
                kept = [f for f in findings if (reading.user_id, f.rule_id) not in quiet]
                insights = [self._insight(f, reading, person, event, texts) for f in kept]
                # What the next event's query would have found, had this one been committed on its own.
                quiet |= {(reading.user_id, f.rule_id) for f in kept if f.rule_id in trend_rules}
                out.outbox += self._write(repo, event, reading, person, insights)
                out.insights += insights
        return out

    async def _handle_enriched(self, event: CloudEvent, reading: Reading, out: Handled) -> None:
        """Judge first, reword outside any transaction, then write (re-checking)."""
        async with self.sessions() as session:
            judged = await self._judge(CoachingRepository(session), event, reading)
        if judged is None:
            return
        findings, person, texts = judged
        insights = [await self._reworded(self._insight(f, reading, person, event, texts), f, person)
                    for f in findings]
        async with unit_of_work(self.sessions) as session:
            repo = CoachingRepository(session)
            if await repo.already_processed(CONSUMER_GROUP, event.id):
                return
            out.outbox += self._write(repo, event, reading, person, insights)
        out.insights += insights

    async def _judge(self, repo: CoachingRepository, event: CloudEvent,
                     reading: Reading) -> tuple[list[Finding], Person, Overrides] | None:
        """The findings for this reading, its owner and the text overrides they use, or None when the event
        (or its measurement) was handled before."""
        if await repo.already_processed(CONSUMER_GROUP, event.id):
            return None
        if await repo.reading_exists(reading.id):  # the same measurement published again under a new id
            return None
        profile = await repo.profile(reading.user_id)
        person = parse_person(event.data, default_locale=self.settings.coaching_default_locale,
                              default_time_zone=self.settings.default_time_zone,
                              profile=profile_values(profile))
        rows = await repo.readings_between(reading.user_id, reading.type, reading.taken_at - HISTORY,
                                           reading.taken_at)
        history = [reading_from_row(r) for r in rows if r.id != reading.id] + [reading]
        findings = evaluate(reading, person, history)
        trend_rules = [f.rule_id for f in findings if f.kind == "TREND"]
        quiet = await repo.recent_rule_ids(reading.user_id, trend_rules, utcnow() - TREND_QUIET)
        findings = [f for f in findings if f.rule_id not in quiet]
        texts = await repo.template_overrides([k for f in findings for k in override_ids(f.rule_id)])
        return findings, person, texts

    @staticmethod
    def _write(repo: CoachingRepository, event: CloudEvent, reading: Reading, person: Person,
               insights: list[InsightRow]) -> list[OutboxBase]:
        repo.record_processed(CONSUMER_GROUP, event)
        repo.add_reading(row_from_reading(reading))
        repo.add_insights(insights)
        return [repo.add_event(COACHING_STREAM, insight_event(row, person)) for row in insights]

    def _insight(self, f: Finding, reading: Reading, person: Person, event: CloudEvent,
                 texts: Overrides) -> InsightRow:
        return InsightRow(
            id=str(uuid.uuid4()), user_id=reading.user_id, measurement_id=reading.id,
            measurement_ids=list(f.measurement_ids), measurement_type=reading.type, kind=f.kind,
            severity=f.severity.value, rule_id=f.rule_id, rule_source_key=f.source.key,
            rule_source=f.source.citation, ruleset=ruleset_for(person.region).region, locale=person.locale,
            texts=render(f, reading.type, texts), params=f.params, source_event_id=event.id,
            created_at=datetime.now(UTC),
        )

    async def _reworded(self, row: InsightRow, f: Finding, person: Person) -> InsightRow:
        assert self.enricher is not None
        lang = person.language
        message = row.texts[lang]["message"]
        keep = [v for v in f.params.values() if any(ch.isdigit() for ch in v) and v in message]
        texts = {k: dict(v) for k, v in row.texts.items()}
        texts[lang]["message"] = await self.enricher.reword(message, lang, keep)
        row.texts = texts
        return row

    # -- reads ----------------------------------------------------------------------------------------------

    async def latest_insights(self, user_ids: Sequence[str], first: int) -> dict[str, list[InsightRow]]:
        async with self.sessions() as session:
            rows = await CoachingRepository(session).latest_insights(user_ids, first)
        out: dict[str, list[InsightRow]] = {u: [] for u in user_ids}
        for row in rows:
            out[row.user_id].append(row)
        return out

    async def profile(self, user_id: str) -> CoachingProfileRow:
        async with self.sessions() as session:
            return await CoachingRepository(session).profile(user_id) or CoachingProfileRow(user_id=user_id)

    async def update_profile(self, user_id: str, *, locale: str | None, region: str | None,
                             time_zone: str | None, height_cm: float | None) -> CoachingProfileRow:
        if height_cm is not None and not MIN_HEIGHT_CM <= height_cm <= MAX_HEIGHT_CM:
            raise BadUserInput(f"height must be {MIN_HEIGHT_CM}-{MAX_HEIGHT_CM} cm", field="heightCm")
        if region is not None and (len(region) != 2 or not region.isalpha()):
            raise BadUserInput("region is an ISO 3166 country code such as KR", field="region")
        if time_zone is not None and not valid_zone(time_zone):
            raise BadUserInput(f"unknown time zone {time_zone!r}", field="timeZone")
        if locale is not None and not LOCALE.match(locale):
            raise BadUserInput("locale is a BCP 47 tag such as ko-KR", field="locale")
        async with unit_of_work(self.sessions) as session:
            repo = CoachingRepository(session)
            row = await repo.profile(user_id) or CoachingProfileRow(user_id=user_id)
            if locale is not None:
                row.locale = locale
            if region is not None:
                row.region = region.upper()
            if time_zone is not None:
                row.time_zone = time_zone
            if height_cm is not None:
                row.height_cm = height_cm
            row.updated_at = datetime.now(UTC)
            repo.save_profile(row)
        return row

    async def insights_by_ids(self, ids: Sequence[str]) -> dict[str, InsightRow]:
        async with self.sessions() as session:
            rows = await CoachingRepository(session).insights_by_ids(ids)
        return {r.id: r for r in rows}
