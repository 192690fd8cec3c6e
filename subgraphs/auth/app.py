"""The auth subgraph (port 8001): accounts, sessions, tokens. Run: `manpasik subgraph auth`."""

from __future__ import annotations

from fastapi import FastAPI

from libs.config import Settings, get_settings
from libs.graphql.app import create_subgraph_app
from subgraphs.auth.context import AuthContext
from subgraphs.auth.resources import resources
from subgraphs.auth.schema import schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_subgraph_app("auth", schema, resources, settings=settings, context_class=AuthContext)
