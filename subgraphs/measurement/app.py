"""ASGI app of the measurement subgraph (uvicorn factory: `subgraphs.measurement.app:create_app`)."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from libs.config import Settings
from libs.graphql.app import create_subgraph_app
from subgraphs.measurement.context import MeasurementContext
from subgraphs.measurement.resources import resources
from subgraphs.measurement.schema import schema


def create_app(
    settings: Settings | None = None,
    *,
    relay_interval_s: float = 5.0,
    relay_grace_s: float = 10.0,
    events_redis_url: str | None = None,
) -> FastAPI:
    """`relay_*`: how often documents with a pending event are republished, and how old they must be;
    `events_redis_url`: a separate Redis for the event bus (default: REDIS_URL)."""
    return create_subgraph_app(
        "measurement",
        schema,
        partial(
            resources,
            relay_interval_s=relay_interval_s,
            relay_grace_s=relay_grace_s,
            events_redis_url=events_redis_url,
        ),
        settings=settings,
        context_class=MeasurementContext,
    )
