"""The video subgraph's stores for the session, its app on a free port, and helpers to set up doctors,
patients and consultations the way the app and auth's events would.

The app is served without its workers (VIDEO_WORKERS=false): tests that need them start `VideoWorkers`
themselves, as a separate worker process would run them.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from libs.auth.tokens import issue_access_token
from libs.config import Settings
from libs.events import CloudEvent
from libs.events.streams import USER_SIGNED_UP
from libs.testing import running_app
from libs.testing.graphql import gql
from subgraphs.video.app import create_app
from subgraphs.video.domain import AROUND_THE_CLOCK
from subgraphs.video.resources import VideoResources, open_resources
from subgraphs.video.service import PracticeUpdate, VideoService
from subgraphs.video.settings import VideoSettings

# Our own Redis key space inside the run's: the e2e stack's workers must not take our events, nor ours theirs.
EVENTS_PREFIX = "vd:"
LIVEKIT_SECRET = secrets.token_urlsafe(40)


@pytest.fixture(scope="session")
def video_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"redis_prefix": settings.redis_prefix + EVENTS_PREFIX})


@pytest.fixture(scope="session")
def video_own() -> VideoSettings:
    return VideoSettings(workers=False, livekit_url="wss://sfu.example.test", livekit_api_key="APItest",
                         livekit_api_secret=LIVEKIT_SECRET)


@pytest.fixture(scope="session")
async def video(video_settings: Settings, video_own: VideoSettings) -> AsyncIterator[VideoResources]:
    async with open_resources(video_settings, video_own) as res:
        yield res


@pytest.fixture(scope="session")
async def video_url(video_settings: Settings, video_own: VideoSettings,
                    video: VideoResources) -> AsyncIterator[str]:
    async with running_app(create_app(video_settings, video_own)) as base:
        yield base + "/graphql"


@asynccontextmanager
async def service(res: VideoResources) -> AsyncIterator[VideoService]:
    async with res.db.write() as repo:
        yield VideoService(repo, res.deps)


@dataclass
class Person:
    id: str
    token: str


def person(settings: Settings, *roles: str) -> Person:
    user_id = str(uuid.uuid4())
    return Person(user_id, issue_access_token(settings, user_id, ["USER", *roles], secrets.token_hex(8))[0])


def signed_up(user_id: str, name: str, roles: list[str]) -> CloudEvent:
    """`user.signed_up` as the auth subgraph publishes it."""
    return CloudEvent.new(USER_SIGNED_UP, "/subgraphs/auth", user_id,
                          {"userId": user_id, "displayName": name, "locale": "ko-KR", "roles": roles})


async def doctor(res: VideoResources, settings: Settings, *, name: str = "김의사",
                 specialty: str | None = None, clinic: str | None = None) -> Person:
    """A verified doctor available around the clock, learned from auth's event as in production."""
    who = person(settings, "DOCTOR")
    async with service(res) as s:
        assert await s.handle_auth_event(signed_up(who.id, name, ["USER", "DOCTOR"]))
    async with service(res) as s:
        await s.update_practice(who.id, PracticeUpdate(
            specialty=specialty or f"spec-{secrets.token_hex(3)}", languages=["ko", "en"],
            license_number=f"L-{secrets.token_hex(4)}", clinic=clinic or f"clinic-{secrets.token_hex(3)}",
            availability=[w.to_dict() for w in AROUND_THE_CLOCK]))
        await s.verify_doctor(who.id)
    return who


def next_slot(minutes_ahead: int = 1, slot: int = 5) -> datetime:
    """The first 5-minute boundary at least `minutes_ahead` from now."""
    at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=minutes_ahead)
    return at + timedelta(minutes=(-at.minute) % slot)


BOOK = """mutation($input: BookConsultationInput!) {
  bookConsultation(input: $input) { id status scheduledAt endsAt doctor { id displayName } }
}"""


async def book(url: str, patient: Person, doc: Person, at: datetime | None = None,
               **extra: Any) -> dict[str, Any]:
    variables = {"input": {"doctorId": doc.id, "scheduledAt": (at or next_slot()).isoformat(), **extra}}
    return await gql(url, BOOK, variables, token=patient.token)


async def booked(url: str, patient: Person, doc: Person, at: datetime | None = None, **extra: Any) -> str:
    result = await book(url, patient, doc, at, **extra)
    assert "errors" not in result, result
    return str(result["data"]["bookConsultation"]["id"])


async def call(url: str, who: Person, mutation: str, consultation_id: str,
               fields: str = "id status startedAt endedAt") -> dict[str, Any]:
    """`mutation($id) { <mutation>(id: $id) { fields } }` as `who`."""
    return await gql(url, f"mutation($id: ID!) {{ {mutation}(id: $id) {{ {fields} }} }}",
                     {"id": consultation_id}, token=who.token)


async def in_progress(url: str, patient: Person, doc: Person, **extra: Any) -> str:
    """A consultation booked, confirmed and joined by its doctor (so in progress)."""
    cid = await booked(url, patient, doc, **extra)
    assert "errors" not in await call(url, doc, "confirmConsultation", cid)
    joined = await call(url, doc, "joinConsultation", cid, "roomName token")
    assert "errors" not in joined, joined
    return cid
