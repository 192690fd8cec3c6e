"""The auth subgraph served on a free port for the whole test session (its own database and Redis prefix)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from libs.config import Settings
from libs.testing import running_app
from subgraphs.auth.app import create_app


@pytest.fixture(scope="session")
async def auth_url(settings: Settings) -> AsyncIterator[str]:
    async with running_app(create_app(settings)) as base:
        yield base + "/graphql"
