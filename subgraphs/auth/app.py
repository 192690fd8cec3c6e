"""The auth subgraph (port 8001): accounts, sessions, tokens. Run: `manpasik subgraph auth`."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from libs.auth.keys import published_jwks
from libs.config import Settings, get_settings
from libs.graphql.app import create_subgraph_app
from subgraphs.auth.context import AuthContext
from subgraphs.auth.resources import open_resources
from subgraphs.auth.schema import schema
from subgraphs.auth.settings import AuthSettings
from subgraphs.auth.worker import AuthWorkers


def create_app(settings: Settings | None = None, own: AuthSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    own = own or AuthSettings()
    published_jwks(settings)  # fails at start, not at the first request, when the signing key is unusable
    app = create_subgraph_app(
        "auth",
        schema,
        partial(open_resources, own=own),
        settings=settings,
        context_class=AuthContext,
        workers=AuthWorkers if own.workers else None,
    )

    @app.get("/.well-known/jwks.json")
    async def jwks() -> Any:
        # Verifiers cache by kid and refetch on an unknown one, so a short cache is enough.
        return JSONResponse(published_jwks(settings), headers={"cache-control": "public, max-age=300"})

    return app
