"""The admin subgraph on a free port with stores of its own, and helpers that publish events the way the
other subgraphs do (real Redis streams) and run its consumers once, as its worker would.

Its own database and Redis key space: the e2e stack runs an admin subgraph with workers in this session too,
and a rebuild here must not wipe its figures (nor its events reach our consumers).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from libs.auth.tokens import issue_access_token
from libs.config import Settings
from libs.events import CloudEvent, EventPublisher
from libs.testing import running_app
from subgraphs.admin.app import create_app
from subgraphs.admin.resources import AdminResources, open_resources
from subgraphs.admin.settings import AdminSettings
from subgraphs.admin.worker import AdminWorkers

EVENTS_PREFIX = "ad:"


@pytest.fixture(scope="session")
def admin_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"redis_prefix": settings.redis_prefix + EVENTS_PREFIX})


@pytest.fixture(scope="session")
def admin_own() -> AdminSettings:
    return AdminSettings(workers=False, database="mps_admin_suite")


@pytest.fixture(scope="session")
async def admin(admin_settings: Settings, admin_own: AdminSettings) -> AsyncIterator[AdminResources]:
    async with open_resources(admin_settings, admin_own) as res:
        yield res


@pytest.fixture(scope="session")
async def admin_url(
    admin_settings: Settings, admin_own: AdminSettings, admin: AdminResources
) -> AsyncIterator[str]:
    async with running_app(create_app(admin_settings, admin_own)) as base:
        yield base + "/graphql"


def token_for(settings: Settings, user_id: str | None = None, roles: list[str] | None = None) -> str:
    return issue_access_token(
        settings, user_id or str(uuid.uuid4()), roles or ["USER"], secrets.token_hex(8)
    )[0]


def event_at(type_: str, at: datetime, source: str, **data: Any) -> CloudEvent:
    """An event as its publisher builds it, at a chosen time (the envelope's `time`)."""
    subject = data.get("userId") or data.get("patientId")
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=source,
        type=type_,
        data=data,
        subject=subject,
        time=at.isoformat().replace("+00:00", "Z"),
    )


async def publish(res: AdminResources, stream: str, *events: CloudEvent) -> None:
    publisher = EventPublisher(res.redis, res.settings)
    for event in events:
        await publisher.publish(stream, event)


async def consume(res: AdminResources) -> int:
    """One pass of each of the worker's consumers until nothing is left; how many entries were handled."""
    workers = AdminWorkers(res, block_ms=10)
    total = 0
    while True:
        handled = sum([await c.process_once(block_ms=10) for c in workers.consumers])
        total += handled
        if handled == 0:
            return total
