"""The translation subgraph on free ports with stores of its own: one app as shipped (machine translation
off), one with DeepL on, pointed at a local fake of DeepL's API."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator

import pytest

from libs.auth.tokens import issue_access_token
from libs.config import Settings
from libs.testing import free_port, running_app
from subgraphs.translation.app import create_app
from subgraphs.translation.resources import TranslationResources, open_resources
from subgraphs.translation.settings import TranslationSettings
from tests.subgraphs.translation.fake_deepl import FakeDeepL

EVENTS_PREFIX = "tr:"


@pytest.fixture(scope="session")
def translation_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"redis_prefix": settings.redis_prefix + EVENTS_PREFIX})


@pytest.fixture(scope="session")
def translation_own() -> TranslationSettings:
    return TranslationSettings(workers=False, database="mps_translation_suite")


@pytest.fixture(scope="session")
async def translation(translation_settings: Settings,
                      translation_own: TranslationSettings) -> AsyncIterator[TranslationResources]:
    async with open_resources(translation_settings, translation_own) as res:
        yield res


@pytest.fixture(scope="session")
async def translation_url(translation_settings: Settings, translation_own: TranslationSettings,
                          translation: TranslationResources) -> AsyncIterator[str]:
    async with running_app(create_app(translation_settings, translation_own)) as base:
        yield base + "/graphql"


@pytest.fixture(scope="session")
async def deepl() -> AsyncIterator[tuple[FakeDeepL, str]]:
    fake, port = FakeDeepL(), free_port()
    async with running_app(fake.app(), port=port) as base:
        yield fake, base


@pytest.fixture(scope="session")
async def mt_url(translation_settings: Settings, translation: TranslationResources,
                 deepl: tuple[FakeDeepL, str]) -> AsyncIterator[str]:
    fake, base = deepl
    # A database of its own: the glossary the workers seed elsewhere must not change what the fake answers.
    own = TranslationSettings(workers=False, database="mps_translation_mt", mt_provider="deepl",
                              deepl_api_key=fake.api_key, deepl_api_url=base)  # type: ignore[arg-type]
    async with running_app(create_app(translation_settings, own)) as url:
        yield url + "/graphql"


def token_for(settings: Settings, roles: list[str] | None = None, user_id: str | None = None) -> str:
    user = user_id or str(uuid.uuid4())
    return issue_access_token(settings, user, roles or ["USER"], secrets.token_hex(8))[0]
