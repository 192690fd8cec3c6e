"""The notification subgraph (port 8005). Run: `manpasik subgraph notification`."""

from __future__ import annotations

from fastapi import FastAPI

from libs.config import Settings, get_settings
from libs.graphql.app import create_subgraph_app
from subgraphs.notification.context import NotificationContext
from subgraphs.notification.resources import resources
from subgraphs.notification.schema import schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_subgraph_app("notification", schema, resources, settings=settings,
                               context_class=NotificationContext)
