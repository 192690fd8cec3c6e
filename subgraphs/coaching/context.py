"""The coaching subgraph's request context."""

from __future__ import annotations

import strawberry

from libs.graphql.context import Context
from subgraphs.coaching.resources import CoachingResources


class CoachingContext(Context[CoachingResources]):
    pass


Info = strawberry.Info[CoachingContext, None]
