"""The coaching subgraph (port 8003): insights from measurements. Run: `manpasik subgraph coaching`."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from libs.config import Settings, get_settings
from libs.graphql.app import create_subgraph_app
from subgraphs.coaching.context import CoachingContext
from subgraphs.coaching.resources import open_resources
from subgraphs.coaching.schema import schema
from subgraphs.coaching.settings import CoachingSettings
from subgraphs.coaching.worker import CoachingWorkers


def create_app(settings: Settings | None = None, own: CoachingSettings | None = None) -> FastAPI:
    own = own or CoachingSettings()
    return create_subgraph_app("coaching", schema, partial(open_resources, own=own),
                               settings=settings or get_settings(), context_class=CoachingContext,
                               workers=CoachingWorkers if own.workers else None)
