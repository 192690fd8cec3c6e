"""Coaching rules in action: a `measurement.recorded` event becomes zero or more cited, localised insights.

One event, one commit: the reading joins the owner's history; the insights, their `coaching.insight_created`
outbox rows and the processed-event marker are written in the same unit of work, which the caller (the
worker) opens and commits. The consumer hands over a whole read at once (`handle_events`): one unit of work
for all, the same results as one by one. With a language model, the worker judges each measurement in a read
(`judge`), has the texts reworded outside any transaction, then writes them in a new unit (`record`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from libs.errors import BadUserInput
from libs.events import CloudEvent, DropEvent, OutboxBase
from libs.events.streams import COACHING_STREAM, MEASUREMENT_RECORDED, USER_LOCALE_CHANGED, USER_SIGNED_UP
from libs.events.workers import Handled
from libs.i18n import Catalogue
from libs.time import as_utc, utcnow, valid_zone
from subgraphs.coaching.domain import InvalidMeasurement, Person, Reading, Sex, parse_person, parse_reading
from subgraphs.coaching.enrich import MessageEnricher
from subgraphs.coaching.events import insight_created
from subgraphs.coaching.models import CoachingProfileRow, InsightRow, ReadingRow
from subgraphs.coaching.repository import CoachingRepository
from subgraphs.coaching.rules import Finding, evaluate, ruleset_for
from subgraphs.coaching.wording import render

CONSUMER_GROUP = "coaching"
MIN_HEIGHT_CM, MAX_HEIGHT_CM = 50, 272
LOCALE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
HISTORY = timedelta(days=14)
# A trend insight repeats at most once in this window, or every new high reading would re-announce it.
TREND_QUIET = timedelta(hours=72)


@dataclass(frozen=True, slots=True)
class HealthDetails:
    """What the owner sends about themself for reference ranges; None: unchanged."""

    consent: bool | None = None  # True: consents to their use; False: withdraws and erases them
    sex_at_birth: Sex | None = None
    birth_date: date | None = None
    pregnant: bool | None = None


OLDEST_BIRTH = date(1900, 1, 1)


def _apply_health_details(row: CoachingProfileRow, d: HealthDetails, now: datetime) -> None:
    """Sets or erases the consented health details on `row`, or refuses input that cannot be right."""
    given = d.sex_at_birth is not None or d.birth_date is not None or d.pregnant is not None
    if d.consent is False:
        if given:
            raise BadUserInput("withdrawing consent erases the health details: send none with it",
                               field="healthDetailsConsent")
        row.sex_at_birth, row.birth_date, row.pregnant = None, None, None
        row.health_details_consented_at = None
        return
    if given and d.consent is not True and row.health_details_consented_at is None:
        raise BadUserInput("sex at birth, birth date and pregnancy are health data: set healthDetailsConsent "
                           "to true to let coaching use them", field="healthDetailsConsent")
    if d.birth_date is not None and not OLDEST_BIRTH <= d.birth_date <= now.date():
        raise BadUserInput(f"birthDate must be between {OLDEST_BIRTH.isoformat()} and today",
                           field="birthDate")
    sex = d.sex_at_birth or (Sex(row.sex_at_birth) if row.sex_at_birth else None)
    if sex is Sex.MALE and (d.pregnant or (d.pregnant is None and row.pregnant)):
        raise BadUserInput("pregnancy needs a sex at birth of FEMALE", field="pregnant")
    if d.consent is True and row.health_details_consented_at is None:
        row.health_details_consented_at = now
    if d.sex_at_birth is not None:
        row.sex_at_birth = d.sex_at_birth.value
    if d.birth_date is not None:
        row.birth_date = d.birth_date
    if d.pregnant is not None:
        row.pregnant = d.pregnant


@dataclass(frozen=True, slots=True)
class CoachingDeps:
    """What the service needs besides its repository."""

    default_locale: str  # DEFAULT_LOCALE: for owners whose profile and event name none
    default_time_zone: str
    enricher: MessageEnricher | None = None  # rewording by a language model (COACHING_LLM_URL), else None
    # The templates insights are worded with: shipped, kept current by the worker's template feed.
    catalogue: Catalogue = field(default_factory=Catalogue.seeded)


@dataclass(slots=True)
class Judged:
    """One measurement judged in a read: its owner and its insights, written later by `record`."""

    event: CloudEvent
    reading: Reading
    person: Person
    insights: list[InsightRow]


def measurements(events: Sequence[CloudEvent]) -> list[tuple[CloudEvent, Reading]]:
    """The `measurement.recorded` events of a read, parsed; a malformed one is dropped (DropEvent)."""
    out = []
    for event in events:
        if event.type != MEASUREMENT_RECORDED:
            continue
        try:
            out.append((event, parse_reading(event.data, event.timestamp)))
        except InvalidMeasurement as e:
            raise DropEvent(str(e)) from e
    return out


def reading_from_row(row: ReadingRow) -> Reading:
    return Reading(id=row.id, user_id=row.user_id, type=row.type, value=row.value, unit=row.unit,
                   components={k: float(v) for k, v in (row.components or {}).items()},
                   taken_at=as_utc(row.taken_at), context=row.context, loinc=row.loinc)


def row_from_reading(r: Reading) -> ReadingRow:
    return ReadingRow(id=r.id, user_id=r.user_id, type=r.type, value=r.value, unit=r.unit,
                      components=dict(r.components), taken_at=r.taken_at, context=r.context, loinc=r.loinc)


def profile_values(row: CoachingProfileRow | None) -> dict[str, Any]:
    if row is None:
        return {}
    values: dict[str, Any] = {"locale": row.locale, "region": row.region, "timeZone": row.time_zone,
                              "heightCm": row.height_cm}
    if row.health_details_consented_at is not None:  # health details are used only while consented
        values |= {"sexAtBirth": row.sex_at_birth, "birthDate": row.birth_date, "pregnant": row.pregnant}
    return values


class CoachingService:
    def __init__(self, repo: CoachingRepository, deps: CoachingDeps) -> None:
        self.repo = repo
        self.deps = deps

    # -- events ---------------------------------------------------------------------------------------------

    async def handle_account(self, event: CloudEvent) -> bool:
        """The owner's language from auth, which owns it (`signUp`, `setLanguagePreference`): insights are
        worded in it from then on. True when the profile changed."""
        locale, user_id = event.data.get("locale"), event.data.get("userId")
        if event.type not in (USER_SIGNED_UP, USER_LOCALE_CHANGED):
            return False
        if not (isinstance(user_id, str) and isinstance(locale, str) and LOCALE.match(locale)):
            raise DropEvent("account events carry userId and a BCP 47 locale")
        row = await self.profile(user_id)
        if row.locale == locale:
            return False
        row.locale, row.updated_at = locale, utcnow()
        self.repo.save_profile(row)
        if event.type == USER_LOCALE_CHANGED:  # what they were told before reads in the new language too
            await self.repo.relabel_insights(user_id, locale)
        return True

    async def handle_events(self, events: Sequence[CloudEvent]) -> Handled[InsightRow]:
        """Events of one consumer read, in stream order, in the caller's unit of work: the same results as
        handling them one by one, in a handful of queries for the whole batch instead of seven per event."""
        out = Handled[InsightRow]()
        measured = measurements(events)
        if not measured:
            return out
        repo = self.repo
        new_events = await repo.unprocessed(CONSUMER_GROUP, measured)
        if not new_events:  # a redelivered read
            return out
        # A measurement published again under a new event id is known by its reading.
        known = await repo.existing_reading_ids([r.id for _, r in new_events])
        firsts: dict[str, tuple[CloudEvent, Reading]] = {}  # reading id -> its first event in this read
        for event, reading in new_events:
            if reading.id not in known:
                firsts.setdefault(reading.id, (event, reading))
        fresh = list(firsts.values())
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
            person = self._person(event, profiles.get(reading.user_id))
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
        for event, reading, person, findings in judged:
            kept = [f for f in findings if (reading.user_id, f.rule_id) not in quiet]
            insights = [self._insight(f, reading, person, event) for f in kept]
            # What the next event's query would have found, had this one been committed on its own.
            quiet |= {(reading.user_id, f.rule_id) for f in kept if f.rule_id in trend_rules}
            out.outbox += self._write(event, reading, person, insights)
            out.items += insights
        return out

    async def judge(self, event: CloudEvent, reading: Reading) -> Judged | None:
        """The insights this reading gives (texts from the templates and overrides), or None when the event
        (or its measurement) was handled before. Reads only."""
        repo = self.repo
        if await repo.already_processed(CONSUMER_GROUP, event.id):
            return None
        if await repo.reading_exists(reading.id):  # the same measurement published again under a new id
            return None
        person = self._person(event, await repo.profile(reading.user_id))
        rows = await repo.readings_between(reading.user_id, reading.type, reading.taken_at - HISTORY,
                                           reading.taken_at)
        history = [reading_from_row(r) for r in rows if r.id != reading.id] + [reading]
        findings = evaluate(reading, person, history)
        trend_rules = [f.rule_id for f in findings if f.kind == "TREND"]
        quiet = await repo.recent_rule_ids(reading.user_id, trend_rules, utcnow() - TREND_QUIET)
        findings = [f for f in findings if f.rule_id not in quiet]
        return Judged(event, reading, person, [self._insight(f, reading, person, event) for f in findings])

    async def record(self, judged: Judged) -> Handled[InsightRow]:
        """Writes what `judge` found, unless another worker handled the event meanwhile."""
        if await self.repo.already_processed(CONSUMER_GROUP, judged.event.id):
            return Handled[InsightRow]()
        outbox = self._write(judged.event, judged.reading, judged.person, judged.insights)
        return Handled[InsightRow](list(judged.insights), outbox)

    def _person(self, event: CloudEvent, profile: CoachingProfileRow | None) -> Person:
        return parse_person(event.data, default_locale=self.deps.default_locale,
                            default_time_zone=self.deps.default_time_zone, profile=profile_values(profile))

    def _write(self, event: CloudEvent, reading: Reading, person: Person,
               insights: list[InsightRow]) -> list[OutboxBase]:
        self.repo.record_processed(CONSUMER_GROUP, event)
        self.repo.add_reading(row_from_reading(reading))
        self.repo.add_insights(insights)
        return [self.repo.add_event(COACHING_STREAM, insight_created(row, person)) for row in insights]

    def _insight(self, f: Finding, reading: Reading, person: Person, event: CloudEvent) -> InsightRow:
        return InsightRow(
            id=str(uuid.uuid4()), user_id=reading.user_id, measurement_id=reading.id,
            measurement_ids=list(f.measurement_ids), measurement_type=reading.type, kind=f.kind,
            severity=f.severity.value, rule_id=f.rule_id, rule_source_key=f.source.key,
            rule_source=f.source.citation, ruleset=ruleset_for(person.region).region, locale=person.locale,
            texts=render(f, reading.type, self.deps.catalogue, reading.taken_at.astimezone(person.time_zone)),
            params=f.params, source_event_id=event.id,
            created_at=utcnow(),
        )

    # -- reads and the profile ------------------------------------------------------------------------------

    async def latest_insights(self, user_ids: Sequence[str], first: int) -> dict[str, list[InsightRow]]:
        out: dict[str, list[InsightRow]] = {u: [] for u in user_ids}
        for row in await self.repo.latest_insights(user_ids, first):
            out[row.user_id].append(row)
        return out

    async def insights(self, ids: Sequence[str]) -> list[InsightRow | None]:
        """The insights of `ids`, in their order (None where there is none)."""
        rows = {r.id: r for r in await self.repo.insights_by_ids(ids)}
        return [rows.get(i) for i in ids]

    async def profile(self, user_id: str) -> CoachingProfileRow:
        return await self.repo.profile(user_id) or CoachingProfileRow(user_id=user_id)

    async def update_profile(self, user_id: str, *, locale: str | None, region: str | None,
                             time_zone: str | None, height_cm: float | None,
                             details: HealthDetails | None = None) -> CoachingProfileRow:
        if height_cm is not None and not MIN_HEIGHT_CM <= height_cm <= MAX_HEIGHT_CM:
            raise BadUserInput(f"height must be {MIN_HEIGHT_CM}-{MAX_HEIGHT_CM} cm", field="heightCm")
        if region is not None and (len(region) != 2 or not region.isalpha()):
            raise BadUserInput("region is an ISO 3166 country code such as KR", field="region")
        if time_zone is not None and not valid_zone(time_zone):
            raise BadUserInput(f"unknown time zone {time_zone!r}", field="timeZone")
        if locale is not None and not LOCALE.match(locale):
            raise BadUserInput("locale is a BCP 47 tag such as ko-KR", field="locale")
        # `locale` here is deprecated: auth owns it (setLanguagePreference) and its events set it too.
        row = await self.profile(user_id)
        if locale is not None:
            row.locale = locale
        if region is not None:
            row.region = region.upper()
        if time_zone is not None:
            row.time_zone = time_zone
        if height_cm is not None:
            row.height_cm = height_cm
        if details is not None:
            _apply_health_details(row, details, utcnow())
        row.updated_at = utcnow()
        self.repo.save_profile(row)
        return row
