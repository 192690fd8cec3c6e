"""The notification subgraph (port 8005). Run: `manpasik subgraph notification`."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from libs.config import Settings, get_settings
from libs.graphql.app import create_subgraph_app
from subgraphs.notification.context import NotificationContext
from subgraphs.notification.resources import open_resources
from subgraphs.notification.schema import schema
from subgraphs.notification.settings import NotificationSettings
from subgraphs.notification.worker import NotificationWorkers


def create_app(settings: Settings | None = None, own: NotificationSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    own = own or NotificationSettings()
    return create_subgraph_app("notification", schema, partial(open_resources, own=own), settings=settings,
                               context_class=NotificationContext,
                               workers=NotificationWorkers if own.workers else None)
