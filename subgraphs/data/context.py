"""The data subgraph's request context: viewer, resources, loaders, units of work over its repository."""

from __future__ import annotations

import strawberry

from libs.graphql.context import StoreContext
from subgraphs.data.repository import DataRepository
from subgraphs.data.resources import DataResources


class DataContext(StoreContext[DataResources, DataRepository]):
    pass


Info = strawberry.Info[DataContext, None]
