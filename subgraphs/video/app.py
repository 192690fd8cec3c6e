"""The video subgraph (port 8006): consultations and prescriptions. Run: `manpasik subgraph video`."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from libs.config import Settings, get_settings
from libs.graphql.app import create_subgraph_app
from subgraphs.video.context import VideoContext
from subgraphs.video.resources import open_resources
from subgraphs.video.schema import schema
from subgraphs.video.settings import VideoSettings
from subgraphs.video.worker import VideoWorkers


def create_app(settings: Settings | None = None, own: VideoSettings | None = None) -> FastAPI:
    own = own or VideoSettings()
    return create_subgraph_app("video", schema, partial(open_resources, own=own),
                               settings=settings or get_settings(), context_class=VideoContext,
                               workers=VideoWorkers if own.workers else None)
