"""Root fields: parse and authorize, then call the service (through the request's loaders)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from libs.auth import require_viewer
from subgraphs.coaching import loaders
from subgraphs.coaching.context import Info
from subgraphs.coaching.errors import InsightNotFound
from subgraphs.coaching.types import CoachingProfile, CoachingProfileInput, Insight, owns
from subgraphs.coaching.worker import LIVE_TOPIC


@strawberry.type
class Query:
    @strawberry.field(description="one of the viewer's insights")
    async def insight(self, info: Info, id: strawberry.ID) -> Insight:
        require_viewer(info.context.viewer)
        row = await loaders.insights(info.context).load(str(id))
        if row is None or not owns(info, row):  # someone else's insight does not exist for this viewer
            raise InsightNotFound(str(id))
        return Insight.from_row(row)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="sets what coaching knows about the viewer (region, language, height)")
    async def update_coaching_profile(self, info: Info, input: CoachingProfileInput) -> CoachingProfile:
        viewer = require_viewer(info.context.viewer)
        row = await info.context.resources.service.update_profile(
            str(viewer.user_id), locale=input.locale, region=input.region, time_zone=input.time_zone,
            height_cm=input.height_cm)
        return CoachingProfile.from_row(row)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="the viewer's new insights, as they are written")
    async def coaching_insight_ready(self, info: Info) -> AsyncGenerator[Insight, None]:
        viewer = require_viewer(info.context.viewer)
        user_id = str(viewer.user_id)
        async with info.context.resources.live.subscribe(LIVE_TOPIC, user_id) as queue:
            while True:
                message = await queue.get()
                rows = await info.context.resources.service.insights_by_ids([str(message.get("insightId"))])
                row = next(iter(rows.values()), None)
                if row is not None and row.user_id == user_id:
                    yield Insight.from_row(row)
