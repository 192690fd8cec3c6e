# ruff: noqa: E501  (queries and expected texts read better unwrapped)
"""Templates and the glossary through the translation subgraph's GraphQL API: ADMIN writes, versions count
up from the shipped version 1, every version is announced on the stream (and kept in the snapshot), and
bad input gets a clear code."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from libs.config import Settings
from libs.events import CloudEvent
from libs.events.streams import STAFF_ACTION_TAKEN, TEMPLATE_UPDATED, TRANSLATION_STREAM, stream_key
from libs.i18n import Catalogue, TemplateFeed, snapshot_key
from libs.testing.graphql import error_codes, gql
from subgraphs.translation.resources import TranslationResources
from subgraphs.translation.worker import TranslationWorkers
from tests.subgraphs.translation.conftest import token_for

UPSERT_TEMPLATE = "mutation UpsertTemplate($input: TemplateInput!) { upsertTemplate(input: $input) { key locale body version } }"
UPSERT_TERM = ("mutation UpsertGlossaryTerm($input: GlossaryTermInput!) {"
               " upsertGlossaryTerm(input: $input) { id source sourceLocale translations { locale text } } }")
TEMPLATES = ("query T($prefix: String!, $locale: String) { messageTemplates(keyPrefix: $prefix, locale: $locale)"
             " { key locale body version updatedAt } }")


async def _events(res: TranslationResources) -> list[CloudEvent]:
    entries: Any = await res.redis.xrange(stream_key(res.settings, TRANSLATION_STREAM))
    return [CloudEvent.from_json(fields[b"event"] if b"event" in fields else fields["event"])
            for _, fields in entries]


async def test_versions_count_up_and_are_announced(translation_url: str, translation: TranslationResources,
                                                   translation_settings: Settings) -> None:
    admin = token_for(translation_settings, ["ADMIN"])
    key = "notification.CONSULTATION_ENDED.body"
    body = "相談が終わりました。記録はアプリで確認できます。"
    first = await gql(translation_url, UPSERT_TEMPLATE, {"input": {"key": key, "locale": "ja-JP", "body": body}},
                      token=admin)
    # No ja text ships for this message: the admin's first one is version 1 (en's shipped one is too).
    assert first["data"]["upsertTemplate"] == {"key": key, "locale": "ja", "body": body, "version": 1}
    second = await gql(translation_url, UPSERT_TEMPLATE,
                       {"input": {"key": key, "locale": "ja", "body": body + " ありがとうございました。"}}, token=admin)
    assert second["data"]["upsertTemplate"]["version"] == 2
    shipped = await gql(translation_url, UPSERT_TEMPLATE, {"input": {"key": key, "locale": "en", "body": "Done."}},
                        token=admin)
    assert shipped["data"]["upsertTemplate"]["version"] == 2  # en shipped as version 1
    listed = await gql(translation_url, TEMPLATES, {"prefix": key, "locale": None}, token=admin)
    by_locale = {t["locale"]: t for t in listed["data"]["messageTemplates"]}
    assert by_locale["ja"]["version"] == 2 and by_locale["ja"]["updatedAt"]
    assert (by_locale["en"]["version"], by_locale["en"]["body"]) == (2, "Done.")
    assert by_locale["ko"] == {"key": key, "locale": "ko", "version": 1, "updatedAt": None,
                               "body": "상담이 끝났습니다. 기록을 확인해 보세요."}
    # The outbox relay (a worker) puts both versions and the admin's actions on the stream; the snapshot
    # consumer keeps the newest, which a renderer starting later loads.
    snapshot, field = snapshot_key(translation.settings), f"{key}|ja"
    async with TranslationWorkers(translation, block_ms=50).running():
        for _ in range(100):
            held = await translation.redis.hget(snapshot, field)  # type: ignore[misc]
            mine = [e for e in await _events(translation) if e.data.get("key") == key]
            if held is not None and json.loads(held)["version"] == 2 and len(mine) == 3:
                break
            await asyncio.sleep(0.05)
    assert json.loads(await translation.redis.hget(snapshot, field))["version"] == 2  # type: ignore[misc]
    mine = [e for e in await _events(translation) if e.data.get("key") == key]
    assert [(e.type, e.data["locale"], e.data["version"]) for e in mine] == [
        (TEMPLATE_UPDATED, "ja", 1), (TEMPLATE_UPDATED, "ja", 2), (TEMPLATE_UPDATED, "en", 2)]
    actions = [e for e in await _events(translation) if e.type == STAFF_ACTION_TAKEN
               and e.data["resourceId"].startswith(key)]
    assert [a.data["action"] for a in actions] == ["TEMPLATE_UPDATED"] * 3
    fresh = Catalogue.seeded()  # a renderer starting now
    await TemplateFeed(translation.redis, translation.settings, fresh).sync()
    assert fresh.localize(key, "ja").endswith("ありがとうございました。")


async def test_bad_templates_get_clear_codes(translation_url: str, translation_settings: Settings) -> None:
    admin = token_for(translation_settings, ["ADMIN"])

    async def upsert(key: str, locale: str, body: str, token: str | None = admin) -> dict[str, Any]:
        return await gql(translation_url, UPSERT_TEMPLATE,
                         {"input": {"key": key, "locale": locale, "body": body}}, token=token)

    welcome = "notification.WELCOME.title"
    for result, field in [
        (await upsert(welcome, "xx", "Hi"), "locale"),  # unknown locale
        (await upsert(welcome, "zh-TW", "歡迎"), "locale"),  # Traditional Chinese: not written yet
        (await upsert(welcome, "en", "Hi {displayName"), "body"),  # malformed ICU
        (await upsert(welcome, "en", "{n, plural, one {# x}}"), "body"),  # plural without other
        (await upsert(welcome, "en", "Hi {dispayName}"), "body"),  # a value the message does not have
        (await upsert("notification.NO_SUCH.title", "en", "Hi"), "key"),
        (await upsert(welcome, "en", ""), "body"),
    ]:
        assert error_codes(result) == ["BAD_USER_INPUT"], result
        assert result["errors"][0]["extensions"]["field"] == field, result
    unknown = await upsert(welcome, "xx", "Hi")
    assert "ko, en, ja, zh-Hans" in unknown["errors"][0]["message"]
    assert error_codes(await upsert(welcome, "en", "Hi", token_for(translation_settings))) == ["FORBIDDEN"]
    assert error_codes(await upsert(welcome, "en", "Hi", token_for(translation_settings, ["SUPPORT"]))) == [
        "FORBIDDEN"]
    assert error_codes(await upsert(welcome, "en", "Hi", None)) == ["UNAUTHENTICATED"]
    listed = await gql(translation_url, TEMPLATES, {"prefix": "notification.", "locale": "en"},
                       token=token_for(translation_settings))
    assert error_codes(listed) == ["FORBIDDEN"]


async def test_glossary_terms_are_upserted_by_their_source(translation_url: str,
                                                           translation_settings: Settings) -> None:
    admin = token_for(translation_settings, ["ADMIN"])
    source = f"HbA1c-{uuid.uuid4().hex[:6]}"
    made = await gql(translation_url, UPSERT_TERM, {"input": {"source": source, "sourceLocale": "en-US",
                                                              "translations": [{"locale": "ko", "text": "당화혈색소"},
                                                                               {"locale": "ja", "text": "ヘモグロビンA1c"}]}},
                     token=admin)
    term = made["data"]["upsertGlossaryTerm"]
    assert term["source"] == source and term["sourceLocale"] == "en"
    assert term["translations"] == [{"locale": "ja", "text": "ヘモグロビンA1c"}, {"locale": "ko", "text": "당화혈색소"}]
    again = await gql(translation_url, UPSERT_TERM, {"input": {"source": source.lower(), "sourceLocale": "en",
                                                               "translations": [{"locale": "ja", "text": "HbA1c"}]}},
                      token=admin)
    term2 = again["data"]["upsertGlossaryTerm"]
    assert term2["id"] == term["id"]  # the same term, matched without regard to case
    assert term2["translations"] == [{"locale": "ja", "text": "HbA1c"}, {"locale": "ko", "text": "당화혈색소"}]
    for bad, field in [
        ({"source": source, "sourceLocale": "en", "translations": [{"locale": "klingon", "text": "x"}]},
         "translations.locale"),
        ({"source": source, "sourceLocale": "en", "translations": [{"locale": "en", "text": "x"}]},
         "translations.locale"),
        ({"source": source, "sourceLocale": "en", "translations": []}, "translations"),
        ({"source": "a\tb", "sourceLocale": "en", "translations": [{"locale": "ko", "text": "x"}]}, "source"),
        ({"source": source, "sourceLocale": "qq", "translations": [{"locale": "ko", "text": "x"}]}, "sourceLocale"),
    ]:
        result = await gql(translation_url, UPSERT_TERM, {"input": bad}, token=admin)
        assert error_codes(result) == ["BAD_USER_INPUT"] and result["errors"][0]["extensions"]["field"] == field
    user = await gql(translation_url, UPSERT_TERM, {"input": {"source": source, "sourceLocale": "en",
                                                              "translations": [{"locale": "ko", "text": "x"}]}},
                     token=token_for(translation_settings))
    assert error_codes(user) == ["FORBIDDEN"]


async def test_the_workers_seed_the_glossary_with_the_apps_measurement_names(
    translation_url: str, translation: TranslationResources, translation_settings: Settings,
) -> None:
    async with TranslationWorkers(translation, block_ms=50).running():
        pass
    admin = token_for(translation_settings, ["ADMIN"])
    query = "{ glossary(sourceLocale: \"en\") { source translations { locale text } } }"
    terms = {t["source"]: t["translations"] for t in (await gql(translation_url, query, token=admin))["data"]["glossary"]}
    assert terms["blood glucose"] == [{"locale": "ja", "text": "血糖値"}, {"locale": "ko", "text": "혈당"}]
    assert terms["HbA1c"] == [{"locale": "ko", "text": "당화혈색소"}]
    # Started again: nothing added twice, nothing an admin changed is overwritten.
    await gql(translation_url, UPSERT_TERM, {"input": {"source": "HbA1c", "sourceLocale": "en",
                                                       "translations": [{"locale": "ko", "text": "HbA1c"}]}}, token=admin)
    async with TranslationWorkers(translation, block_ms=50).running():
        pass
    again = {t["source"]: t["translations"] for t in (await gql(translation_url, query, token=admin))["data"]["glossary"]}
    assert len(again) == len(terms) and again["HbA1c"] == [{"locale": "ko", "text": "HbA1c"}]
    support = await gql(translation_url, query, token=token_for(translation_settings, ["SUPPORT"]))
    assert "errors" not in support and error_codes(await gql(translation_url, query, token=token_for(
        translation_settings))) == ["FORBIDDEN"]


async def test_supported_locales_are_public(translation_url: str) -> None:
    result = await gql(translation_url, "{ supportedLocales { code name fallbacks } }")
    assert result["data"]["supportedLocales"] == [
        {"code": "ko", "name": "한국어", "fallbacks": ["en"]},
        {"code": "en", "name": "English", "fallbacks": ["ko"]},
        {"code": "ja", "name": "日本語", "fallbacks": ["en", "ko"]},
        {"code": "zh-Hans", "name": "中文 (简体)", "fallbacks": ["en", "ko"]},
    ]
