"""ASGI app of the measurement subgraph (uvicorn factory: `subgraphs.measurement.app:create_app`)."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from libs.config import Settings
from libs.graphql.app import create_subgraph_app
from subgraphs.measurement.context import MeasurementContext
from subgraphs.measurement.resources import open_resources
from subgraphs.measurement.schema import schema
from subgraphs.measurement.settings import MeasurementSettings
from subgraphs.measurement.worker import MeasurementWorkers


def create_app(settings: Settings | None = None, own: MeasurementSettings | None = None) -> FastAPI:
    """`own`: this subgraph's settings (default: from MEASUREMENT_* variables); with `own.workers` the
    pending-event relay runs inside this process."""
    own = own or MeasurementSettings()
    return create_subgraph_app(
        "measurement",
        schema,
        partial(open_resources, own=own),
        settings=settings,
        context_class=MeasurementContext,
        workers=MeasurementWorkers if own.workers else None,
    )
