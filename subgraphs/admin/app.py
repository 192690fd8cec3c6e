"""The admin subgraph (port 8009): the console's actions, analytics, health and reports.
Run: `manpasik subgraph admin`."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from libs.config import Settings, get_settings
from libs.graphql.app import create_subgraph_app
from subgraphs.admin.context import AdminContext
from subgraphs.admin.resources import open_resources
from subgraphs.admin.schema import schema
from subgraphs.admin.settings import AdminSettings
from subgraphs.admin.worker import AdminWorkers


def create_app(settings: Settings | None = None, own: AdminSettings | None = None) -> FastAPI:
    own = own or AdminSettings()
    return create_subgraph_app("admin", schema, partial(open_resources, own=own),
                               settings=settings or get_settings(), context_class=AdminContext,
                               workers=AdminWorkers if own.workers else None)
