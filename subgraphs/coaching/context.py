"""The coaching subgraph's request context: viewer, resources, loaders, units of work over its repository."""

from __future__ import annotations

import strawberry

from libs.graphql.context import StoreContext
from subgraphs.coaching.repository import CoachingRepository
from subgraphs.coaching.resources import CoachingResources


class CoachingContext(StoreContext[CoachingResources, CoachingRepository]):
    pass


Info = strawberry.Info[CoachingContext, None]
