"""The video subgraph's request context: viewer, resources, loaders, units of work over its repository."""

from __future__ import annotations

import strawberry

from libs.graphql.context import StoreContext
from subgraphs.video.repository import VideoRepository
from subgraphs.video.resources import VideoResources


class VideoContext(StoreContext[VideoResources, VideoRepository]):
    pass


Info = strawberry.Info[VideoContext, None]
