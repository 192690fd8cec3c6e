# ruff: noqa: E501  (expected texts read better unwrapped)
"""libs.i18n: locale resolution and fallback, ICU MessageFormat with CLDR plurals, numbers, dates and units,
the shipped catalogue, and the feed that keeps a catalogue current from real Redis."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from libs.config import Settings
from libs.events import CloudEvent, EventPublisher
from libs.events.streams import TEMPLATE_UPDATED, TRANSLATION_STREAM
from libs.i18n import (
    SUPPORTED,
    Catalogue,
    TemplateError,
    TemplateFeed,
    UnknownMessage,
    chain,
    compile_message,
    format_message,
    localize,
    resolve,
    save_snapshot,
)
from libs.i18n.catalogue import seed_templates

AT = datetime(2026, 12, 7, 15, 5, tzinfo=ZoneInfo("Asia/Seoul"))


def plain(text: str) -> str:
    """CLDR puts no-break spaces in times and units (3:05\u202fPM); the tests spell them as spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize(("tag", "expected"), [
    ("en-US", "en"), ("en", "en"), ("EN-gb", "en"), ("ko-KR", "ko"), ("ko_KR", "ko"), ("ja-JP", "ja"),
    ("zh-CN", "zh-Hans"), ("zh-Hans", "zh-Hans"), ("zh", "zh-Hans"), ("zh-TW", None), ("fr-FR", None),
    ("", None), (None, None), ("not a tag!", None), ("x" * 50, None),
])
def test_resolve(tag: str | None, expected: str | None) -> None:
    assert resolve(tag) == expected


def test_fallback_chain_is_user_then_en_then_ko() -> None:
    assert chain("ja-JP") == ("ja", "en", "ko")
    assert chain("ko-KR") == ("ko", "en")
    assert chain("fr") == ("en", "ko")
    assert SUPPORTED == ("ko", "en", "ja", "zh-Hans")


PLURAL = compile_message("{n, plural, =0 {no readings} one {# reading} other {# readings}}")


@pytest.mark.parametrize(("locale", "n", "text"), [
    ("en", 0, "no readings"), ("en", 1, "1 reading"), ("en", 2, "2 readings"), ("en", 1234, "1,234 readings"),
    ("ko", 1, "1 readings"), ("ja", 1, "1 readings"),  # one form in ko and ja: `other` even for 1
])
def test_plural_categories_follow_cldr(locale: str, n: int, text: str) -> None:
    assert format_message(PLURAL, locale, {"n": n}) == text


def test_plural_forms_of_shipped_messages_in_ko_en_ja() -> None:
    c = Catalogue.seeded()
    assert c.localize("notification.unread.summary", "en", {"count": 1}) == "1 new notification"
    assert c.localize("notification.unread.summary", "en", {"count": 3}) == "3 new notifications"
    assert c.localize("notification.unread.summary", "en", {"count": 0}) == "No new notifications"
    assert c.localize("notification.unread.summary", "ko", {"count": 1}) == "새 알림 1개"
    assert c.localize("notification.unread.summary", "ko", {"count": 0}) == "새 알림이 없습니다"
    assert c.localize("notification.unread.summary", "ja", {"count": 2}) == "新しい通知が2件あります"
    reminder = {"doctorName": "Dr Kim", "scheduledAt": AT}
    assert "in 1 minute (" in c.localize("notification.CONSULTATION_REMINDER.body", "en", reminder | {"minutesBefore": 1})
    assert "in 10 minutes (" in c.localize("notification.CONSULTATION_REMINDER.body", "en",
                                           reminder | {"minutesBefore": 10})


def test_numbers_dates_and_units_in_the_locale() -> None:
    m = compile_message("{at, date, medium} {at, time, short} | {v} | {w, number, "
                        "::unit/concentr-milligram-ofglucose-per-deciliter} | {p, number, percent} | "
                        "{x, number, ::.0} | {at, datetime, short}")
    args = {"at": AT, "v": Decimal("1234.50"), "w": 250, "p": 0.25, "x": 3}
    assert plain(format_message(m, "en", args)) == "Dec 7, 2026 3:05 PM | 1,234.50 | 250 mg/dL | 25% | 3.0 | 12/7/26, 3:05 PM"
    assert plain(format_message(m, "ko", args)) == "2026. 12. 7. 오후 3:05 | 1,234.50 | 250mg/dL | 25% | 3.0 | 26. 12. 7. 오후 3:05"
    assert plain(format_message(m, "ja", args)).startswith("2026/12/07 15:05 | ")
    assert plain(format_message(m, "zh-Hans", args)).startswith("2026年12月7日 15:05 | ")


def test_select_and_missing_values() -> None:
    m = compile_message("{sex, select, female {she} male {he} other {they}} read {value}")
    assert format_message(m, "en", {"sex": "female", "value": 5}) == "she read 5"
    assert format_message(m, "en", {}) == "they read"  # a missing value renders empty, never fails


@pytest.mark.parametrize("body", [
    "{a", "{a, plural, one {x}}", "{a, select, x {y}}", "{a, frobnicate}", "{a, number, ::unit/no-such-unit}",
    "{a, date, fortnightly}", "{a, number, sparkly}",
])
def test_malformed_templates_are_refused(body: str) -> None:
    with pytest.raises(TemplateError):
        compile_message(body)


def test_catalogue_falls_back_and_keeps_the_newest_version() -> None:
    c = Catalogue.seeded()
    assert c.localize("notification.WELCOME.title", "ja-JP") == "ManPaSikへようこそ"  # a reviewed ja text
    assert c.localize("notification.CONSULTATION_ENDED.title", "ja-JP") == "Consultation ended"  # none: en
    assert c.localize("notification.CONSULTATION_ENDED.title", "zh-TW") == "Consultation ended"
    assert c.localize("notification.CONSULTATION_ENDED.title", "ko-KR") == "상담 종료"
    assert c.locale_of("notification.CONSULTATION_ENDED.title", "ja") == "en"
    assert c.apply("notification.WELCOME.title", "en", "Hello v3", 3)
    assert not c.apply("notification.WELCOME.title", "en", "Hello v2", 2)  # late, older: ignored
    assert c.localize("notification.WELCOME.title", "en-US") == "Hello v3"
    assert localize("notification.WELCOME.title", "en-US") == "Welcome to ManPaSik"  # other catalogues: as shipped
    with pytest.raises(UnknownMessage):
        c.localize("no.such.key", "en")
    with pytest.raises(TemplateError):
        c.apply("notification.WELCOME.title", "fr", "Bonjour", 9)


def test_shipped_catalogue_has_every_message_in_ko_and_en() -> None:
    keys = {(t.key, t.locale) for t in seed_templates()}
    names = {k for k, _ in keys}
    missing = sorted((k, loc) for k in names for loc in ("ko", "en") if (k, loc) not in keys)
    assert not missing, missing
    assert {t.version for t in seed_templates()} == {1}
    assert "zh-Hans" not in {t.locale for t in seed_templates()}  # none reviewed yet: en shows instead


async def test_feed_loads_the_snapshot_and_follows_the_stream(redis: Redis, settings: Settings) -> None:
    key = f"test.feed.{uuid.uuid4().hex}"
    await save_snapshot(redis, settings, (key, "en", "from the snapshot", 2))
    assert not await save_snapshot(redis, settings, (key, "en", "older", 1))
    publisher = EventPublisher(redis, settings)
    await publisher.publish(TRANSLATION_STREAM, CloudEvent.new(
        TEMPLATE_UPDATED, "/subgraphs/translation", None, {"key": key, "locale": "ko", "body": "스트림", "version": 2}))
    catalogue = Catalogue.seeded()
    feed = TemplateFeed(redis, settings, catalogue, block_ms=50)
    await feed.sync()
    assert catalogue.localize(key, "en") == "from the snapshot" and catalogue.localize(key, "ko") == "스트림"
    for data in ({"key": key, "locale": "en", "body": "{broken", "version": 9},  # refused, feed goes on
                 {"key": key, "locale": "en", "version": "x"},
                 {"key": key, "locale": "en", "body": "v3 {n, plural, one {# item} other {# items}}", "version": 3}):
        await publisher.publish(TRANSLATION_STREAM, CloudEvent.new(TEMPLATE_UPDATED, "/t", None, data))
    while await feed.read_once(block_ms=50):
        pass
    assert catalogue.localize(key, "en-US", {"n": 2}) == "v3 2 items"
