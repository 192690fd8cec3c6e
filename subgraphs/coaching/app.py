"""The coaching subgraph (port 8003): insights from measurements. Run: `manpasik subgraph coaching`."""

from __future__ import annotations

from fastapi import FastAPI

from libs.config import Settings, get_settings
from libs.graphql.app import create_subgraph_app
from subgraphs.coaching.context import CoachingContext
from subgraphs.coaching.resources import resources
from subgraphs.coaching.schema import schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_subgraph_app("coaching", schema, resources, settings=settings,
                               context_class=CoachingContext)
