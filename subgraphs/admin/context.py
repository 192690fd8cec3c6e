"""The admin subgraph's request context: viewer, resources, loaders, units of work over its repository."""

from __future__ import annotations

import strawberry

from libs.graphql.context import StoreContext
from subgraphs.admin.repository import AdminRepository
from subgraphs.admin.resources import AdminResources


class AdminContext(StoreContext[AdminResources, AdminRepository]):
    pass


Info = strawberry.Info[AdminContext, None]
