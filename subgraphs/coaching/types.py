"""GraphQL types of the coaching subgraph (never the tables themselves), including its part of the federated
`User`. Insights and profiles are health data: their owner alone reads them, as each field declares."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from libs.auth.fields import owner_or_roles
from libs.errors import BadUserInput
from libs.i18n import chain
from libs.time import as_utc
from subgraphs.coaching import loaders
from subgraphs.coaching.context import Info
from subgraphs.coaching.domain import Sex
from subgraphs.coaching.models import CoachingProfileRow, InsightRow
from subgraphs.coaching.service import CoachingService

MAX_FIRST = 50


@strawberry.enum(description="How much attention an insight needs, from a note to 'act now'")
class InsightSeverity(Enum):
    INFO = "INFO"
    CAUTION = "CAUTION"
    WARNING = "WARNING"
    URGENT = "URGENT"


strawberry.enum(Sex, name="SexAtBirth", description="Sex at birth: what reference ranges differ by")


@strawberry.enum
class InsightKind(Enum):
    THRESHOLD = "THRESHOLD"  # one reading against a cited threshold
    TREND = "TREND"  # the owner's history (several readings)


# A stub: the router fetches every other field from the measurement subgraph, which owns the entity.
@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Measurement:
    id: strawberry.ID


@strawberry.type(description="The rule behind an insight and where its threshold comes from.")
class InsightRule:
    id: str
    source: str = strawberry.field(description="citation of the guideline or reference range")
    source_key: str
    ruleset: str = strawberry.field(description="KR (Korean guidelines) or INTL")


IN_LOCALE = "in `locale` when given (ko, en, ja, zh-Hans; others fall back to en), else in the owner's locale"


def _texts(row: InsightRow, locale: str | None) -> dict[str, str]:
    """The insight in `locale` (through its fallbacks), else in the owner's; rows written before ja and
    zh-Hans existed hold ko and en only."""
    for code in (*chain(locale), *chain(row.locale)) if locale else chain(row.locale):
        if code in row.texts:
            return dict(row.texts[code])
    return dict(next(iter(row.texts.values())))


def owner_only() -> list[FieldExtension]:
    """Readable by the insight's owner alone (no staff role reads someone's insights)."""
    return [owner_or_roles(owner=lambda insight: insight.row.user_id,
                           message="you may only access your own insights")]


def user_only(data: str) -> list[FieldExtension]:
    """Readable by the user themself alone."""
    return [owner_or_roles(owner=lambda user: str(user.id), message=f"you may only access your own {data}")]


@strawberry.federation.type(keys=["id"])
class Insight:
    row: strawberry.Private[InsightRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.id)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Insight | None:
        row = await loaders.insights(info.context).load(str(id))
        return None if row is None else cls(row=row)

    @strawberry.field(extensions=owner_only())
    def severity(self) -> InsightSeverity:
        return InsightSeverity(self.row.severity)

    @strawberry.field(extensions=owner_only())
    def kind(self) -> InsightKind:
        return InsightKind(self.row.kind)

    @strawberry.field(description="the owner's locale (ko-KR, en-US...): when it was written, or the one "
                                  "they chose since",
                      extensions=owner_only())
    def locale(self) -> str:
        return self.row.locale

    @strawberry.field(description=IN_LOCALE, extensions=owner_only())
    def title(self, locale: str | None = None) -> str:
        return str(_texts(self.row, locale)["title"])

    @strawberry.field(description=IN_LOCALE, extensions=owner_only())
    def message(self, locale: str | None = None) -> str:
        return str(_texts(self.row, locale)["message"])

    @strawberry.field(extensions=owner_only())
    def measurement_type(self) -> str:
        return self.row.measurement_type

    @strawberry.field(extensions=owner_only())
    def created_at(self) -> datetime:
        return as_utc(self.row.created_at)

    @strawberry.field(extensions=owner_only())
    def rule(self) -> InsightRule:
        row = self.row
        return InsightRule(id=row.rule_id, source=row.rule_source, source_key=row.rule_source_key,
                           ruleset=row.ruleset)

    @strawberry.field(description="the reading that triggered the insight", extensions=owner_only())
    def measurement(self) -> Measurement:
        return Measurement(id=strawberry.ID(self.row.measurement_id))

    @strawberry.field(description="every reading the insight is based on (several for a trend)",
                      extensions=owner_only())
    def measurements(self) -> list[Measurement]:
        return [Measurement(id=strawberry.ID(m)) for m in self.row.measurement_ids]


@strawberry.type(description="What coaching uses to pick rule sets and languages; unset fields fall back to "
                             "the measurement's event, then ko-KR / Asia/Seoul.")
class CoachingProfile:
    locale: str | None = strawberry.field(description="the user's language as auth holds it (User.locale), "
                                                      "learned from its events")
    region: str | None = strawberry.field(description="ISO 3166 country code; KR selects Korean guidelines")
    time_zone: str | None
    height_cm: float | None = strawberry.field(description="enables BMI insights from body weight")
    sex_at_birth: Sex | None = strawberry.field(
        description="health data, kept only with healthDetailsConsentedAt set: picks sex-specific ranges")
    birth_date: date | None = strawberry.field(description="health data: the age for age-specific ranges")
    pregnant: bool | None = strawberry.field(description="health data: ranges that change in pregnancy")
    health_details_consented_at: datetime | None = strawberry.field(
        description="when the user consented to coaching's use of sex at birth, birth date and pregnancy")

    @classmethod
    def from_row(cls, row: CoachingProfileRow) -> CoachingProfile:
        consented = row.health_details_consented_at
        return cls(locale=row.locale, region=row.region, time_zone=row.time_zone, height_cm=row.height_cm,
                   sex_at_birth=Sex(row.sex_at_birth) if row.sex_at_birth else None,
                   birth_date=row.birth_date, pregnant=row.pregnant,
                   health_details_consented_at=as_utc(consented) if consented else None)


@strawberry.input
class CoachingProfileInput:
    locale: str | None = strawberry.field(default=None, deprecation_reason="User.locale is auth's: use "
                                          "setLanguagePreference, which reaches coaching too")
    region: str | None = None
    time_zone: str | None = None
    height_cm: float | None = None
    health_details_consent: bool | None = strawberry.field(
        default=None, description="true: coaching may use the health details below (needed to set them); "
                                  "false: withdraws the consent and erases them")
    sex_at_birth: Sex | None = None
    birth_date: date | None = None
    pregnant: bool | None = None


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> User:
        return cls(id=id)

    @strawberry.field(description="the newest insights first; only the user may read them",
                      extensions=user_only("insights"))
    async def coaching_insights(self, info: Info, first: int = 10) -> list[Insight]:
        if not 1 <= first <= MAX_FIRST:
            raise BadUserInput(f"first must be between 1 and {MAX_FIRST}", field="first")
        rows = await loaders.latest_insights(info.context).load((str(self.id), first))
        return [Insight(row=r) for r in rows]

    @strawberry.field(extensions=user_only("coaching profile"))
    async def coaching_profile(self, info: Info) -> CoachingProfile:
        async with info.context.read() as repo:
            row = await CoachingService(repo, info.context.resources.deps).profile(str(self.id))
        return CoachingProfile.from_row(row)
