"""The notification subgraph's request context."""

from __future__ import annotations

import strawberry

from libs.graphql.context import StoreContext
from subgraphs.notification.repository import NotificationRepository
from subgraphs.notification.resources import NotificationResources


class NotificationContext(StoreContext[NotificationResources, NotificationRepository]):
    pass


Info = strawberry.Info[NotificationContext, None]
