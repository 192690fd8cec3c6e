"""The coaching subgraph's stores for the session, its app on a free port, and event helpers.

The app is served without its workers (COACHING_WORKERS=false) so each test starts and stops the workers it
needs, as a separate worker process would. `handle` does what the worker does with one consumer read (minus
publishing); `service` hands out the service in a unit of work of its own, as a resolver gets it.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from libs.auth.tokens import issue_access_token
from libs.config import Settings
from libs.events import CloudEvent
from libs.events.streams import MEASUREMENT_RECORDED
from libs.testing import running_app
from subgraphs.coaching.app import create_app
from subgraphs.coaching.models import InsightRow
from subgraphs.coaching.resources import CoachingResources, open_resources
from subgraphs.coaching.service import CoachingService
from subgraphs.coaching.settings import CoachingSettings
from subgraphs.coaching.worker import handle_measurements

# Our own Redis key space inside the run's: workers of other suites in this session (the e2e stack runs every
# subgraph with its workers) must not take our events, nor ours theirs.
EVENTS_PREFIX = "cn:"


@pytest.fixture(scope="session")
def coaching_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"redis_prefix": settings.redis_prefix + EVENTS_PREFIX})


@pytest.fixture(scope="session")
def coaching_own() -> CoachingSettings:
    return CoachingSettings(workers=False, llm_url=None)


@pytest.fixture(scope="session")
async def coaching(coaching_settings: Settings,
                   coaching_own: CoachingSettings) -> AsyncIterator[CoachingResources]:
    async with open_resources(coaching_settings, coaching_own) as res:
        yield res


@pytest.fixture(scope="session")
async def coaching_url(coaching_settings: Settings, coaching_own: CoachingSettings,
                       coaching: CoachingResources) -> AsyncIterator[str]:
    async with running_app(create_app(coaching_settings, coaching_own)) as base:
        yield base


async def handle(res: CoachingResources, *events: CloudEvent) -> list[InsightRow]:
    """The insights the worker writes for these events (none for a redelivered one)."""
    return (await handle_measurements(res, events)).items


@asynccontextmanager
async def service(res: CoachingResources) -> AsyncIterator[CoachingService]:
    async with res.db.write() as repo:
        yield CoachingService(repo, res.deps)


def new_user() -> str:
    return str(uuid.uuid4())


def token_for(settings: Settings, user_id: str, roles: list[str] | None = None) -> str:
    return issue_access_token(settings, user_id, roles or ["USER"], secrets.token_hex(8))[0]


def measurement_event(user_id: str, type_: str = "BLOOD_GLUCOSE", value: float | None = 250.0,
                      unit: str | None = "mg/dL", *, context: str | None = "FASTING",
                      taken_at: datetime | None = None, components: list[dict[str, Any]] | None = None,
                      measurement_id: str | None = None, **extra: Any) -> CloudEvent:
    """A `measurement.recorded` event shaped as the measurement subgraph publishes it."""
    data: dict[str, Any] = {
        "measurementId": measurement_id or secrets.token_hex(12), "userId": user_id, "type": type_,
        "value": value, "unit": unit, "components": components or [],
        "takenAt": (taken_at or datetime.now(UTC)).isoformat().replace("+00:00", "Z"),
        "source": "MANUAL", "context": context, **extra,
    }
    return CloudEvent.new(MEASUREMENT_RECORDED, "/subgraphs/measurement", user_id, data)
