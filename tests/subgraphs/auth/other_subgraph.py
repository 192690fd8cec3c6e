"""A tiny second subgraph built only from libs (as every other subgraph is): proves that a token revoked by
the auth subgraph is refused elsewhere, through libs.auth alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import strawberry
from fastapi import FastAPI

from libs.auth import Authenticator, require_viewer
from libs.config import Settings
from libs.graphql.app import create_subgraph_app
from libs.graphql.context import Context
from libs.graphql.schema import build_schema


@dataclass
class OtherResources:
    authenticator: Authenticator

    async def ready(self) -> dict[str, str]:
        return {}


@strawberry.type
class Query:
    @strawberry.field
    def whoami(self, info: strawberry.Info[Context[OtherResources], None]) -> str:
        return str(require_viewer(info.context.viewer).user_id)


@asynccontextmanager
async def resources(settings: Settings) -> AsyncIterator[OtherResources]:
    authenticator = Authenticator(settings)  # no Redis handed in: it opens its own for the revocation check
    try:
        yield OtherResources(authenticator)
    finally:
        await authenticator.aclose()


def create_other_app(settings: Settings) -> FastAPI:
    return create_subgraph_app("other", build_schema(query=Query), resources, settings=settings)
