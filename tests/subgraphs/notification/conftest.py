"""The notification subgraph for the session: stores, a fake FCM on a free port, the app, event helpers."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import pytest

from libs.config import Settings
from libs.events import CloudEvent
from libs.events.streams import COACHING_INSIGHT_CREATED
from libs.testing import free_port, running_app
from subgraphs.notification.app import create_app
from subgraphs.notification.resources import NotificationResources, open_resources
from subgraphs.notification.service import NotificationService
from subgraphs.notification.settings import NotificationSettings
from tests.subgraphs.coaching.conftest import (  # noqa: F401  (the chain test also runs coaching)
    EVENTS_PREFIX,
    coaching,
    coaching_own,
    coaching_settings,
    coaching_url,
)
from tests.subgraphs.notification.fake_fcm import FakeFcm


@pytest.fixture(scope="session")
async def fake_fcm() -> AsyncIterator[FakeFcm]:
    port = free_port()
    fake = FakeFcm(base_url=f"http://127.0.0.1:{port}")
    async with running_app(fake.app(), port=port):
        yield fake


@pytest.fixture(scope="session")
def notification_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"redis_prefix": settings.redis_prefix + EVENTS_PREFIX})


@pytest.fixture(scope="session")
def notification_own(fake_fcm: FakeFcm, tmp_path_factory: pytest.TempPathFactory) -> NotificationSettings:
    """The subgraph's own settings: workers off (tests run them when they need them), push to the fake FCM."""
    account = tmp_path_factory.mktemp("fcm") / "service-account.json"
    account.write_text(json.dumps(fake_fcm.service_account()))
    return NotificationSettings(workers=False, fcm_endpoint=fake_fcm.base_url,
                                fcm_service_account_file=Path(account))


@pytest.fixture(scope="session")
async def notification(notification_settings: Settings,
                       notification_own: NotificationSettings) -> AsyncIterator[NotificationResources]:
    async with open_resources(notification_settings, notification_own) as res:
        yield res


@pytest.fixture(scope="session")
async def notification_url(notification_settings: Settings, notification_own: NotificationSettings,
                           notification: NotificationResources) -> AsyncIterator[str]:
    async with running_app(create_app(notification_settings, notification_own)) as base:
        yield base


class _UnitPerCall:
    def __init__(self, res: NotificationResources) -> None:
        self._res = res

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            async with self._res.db.write() as repo:
                return await getattr(NotificationService(repo, self._res.deps), name)(*args, **kwargs)

        return call


def service(res: NotificationResources) -> NotificationService:
    """The service as resolvers and workers use it: each call in a unit of work of its own, committed when
    it returns (the service itself never opens one)."""
    return cast(NotificationService, _UnitPerCall(res))


def new_user() -> str:
    return str(uuid.uuid4())


def device_token() -> str:
    return "fcm-" + secrets.token_urlsafe(60)


def insight_event(user_id: str, severity: str = "WARNING", **extra: Any) -> CloudEvent:
    """A `coaching.insight_created` event shaped as the coaching subgraph publishes it."""
    insight_id = str(uuid.uuid4())
    data = {
        "insightId": insight_id, "userId": user_id, "measurementId": secrets.token_hex(12),
        "measurementIds": [], "measurementType": "BLOOD_GLUCOSE", "severity": severity, "kind": "THRESHOLD",
        "ruleId": "glucose.fasting.diabetes_range", "ruleSource": "ADA", "locale": "ko-KR",
        "timeZone": "Asia/Seoul",
        "title": {"ko": "높은 공복 혈당", "en": "High fasting glucose"},
        "message": {"ko": "공복 혈당 250 mg/dL", "en": "A fasting glucose of 250 mg/dL"},
        **extra,
    }
    return CloudEvent.new(COACHING_INSIGHT_CREATED, "/subgraphs/coaching", insight_id, data)
