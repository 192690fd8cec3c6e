"""The notification subgraph's request context."""

from __future__ import annotations

import strawberry

from libs.graphql.context import Context
from subgraphs.notification.resources import NotificationResources


class NotificationContext(Context[NotificationResources]):
    pass


Info = strawberry.Info[NotificationContext, None]
