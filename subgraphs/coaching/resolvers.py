"""Root fields: parse, then a unit of work (or a read) and the service (through the request's loaders)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from libs.auth.fields import authenticated
from libs.events.live import live_rows
from subgraphs.coaching import loaders
from subgraphs.coaching.context import Info
from subgraphs.coaching.errors import InsightNotFound
from subgraphs.coaching.events import LIVE_TOPIC
from subgraphs.coaching.models import InsightRow
from subgraphs.coaching.service import CoachingService, HealthDetails
from subgraphs.coaching.types import CoachingProfile, CoachingProfileInput, Insight


def _viewer_id(info: Info) -> str:
    return str(info.context.viewer.user_id)  # set: the field is `authenticated()`


@strawberry.type
class Query:
    @strawberry.field(description="one of the viewer's insights", extensions=[authenticated()])
    async def insight(self, info: Info, id: strawberry.ID) -> Insight:
        row = await loaders.insights(info.context).load(str(id))
        if row is None or row.user_id != _viewer_id(info):  # someone else's insight does not exist for them
            raise InsightNotFound(str(id))
        return Insight(row=row)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="sets what coaching knows about the viewer (region, language, height, "
                                     "and with consent sex at birth, birth date, pregnancy)",
                         extensions=[authenticated()])
    async def update_coaching_profile(self, info: Info, input: CoachingProfileInput) -> CoachingProfile:
        async with info.context.unit_of_work() as repo:
            row = await CoachingService(repo, info.context.resources.deps).update_profile(
                _viewer_id(info), locale=input.locale, region=input.region, time_zone=input.time_zone,
                height_cm=input.height_cm,
                details=HealthDetails(consent=input.health_details_consent, sex_at_birth=input.sex_at_birth,
                                      birth_date=input.birth_date, pregnant=input.pregnant))
        return CoachingProfile.from_row(row)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="the viewer's new insights, as they are written",
                             extensions=[authenticated()])
    async def coaching_insight_ready(self, info: Info) -> AsyncGenerator[Insight, None]:
        async def read(message: dict[str, Any]) -> InsightRow | None:
            async with info.context.read() as repo:
                [row] = await CoachingService(repo, info.context.resources.deps).insights(
                    [str(message.get("insightId"))])
            return row

        async for row in live_rows(info.context.resources.live, LIVE_TOPIC, _viewer_id(info), read,
                                   owner=lambda insight: insight.user_id):
            yield Insight(row=row)
