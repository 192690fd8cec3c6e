# ruff: noqa: E501, RUF001  (expected texts read better unwrapped; Japanese uses full-width brackets)
"""Every message in the user's language, end to end through the router: the same high glucose reading for a
Korean, an English, a Japanese user and one who switched language after signing up (SetLanguage); an admin's
template change reaching the next notification with no restart; the admin operations' permissions.

Auth owns the language (signUp, setLanguagePreference); coaching and notification learn it from auth's events,
so each test waits until coaching holds it (`me.coachingProfile.locale`), as any event-fed copy is eventual.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from libs.config import Settings
from libs.testing.graphql import error_codes, gql
from tests.e2e.conftest import Stack, contract_operation
from tests.subgraphs.auth.helpers import set_roles

PASSWORD = "correct horse battery staple"
SEOUL = ZoneInfo("Asia/Seoul")  # DEFAULT_TIME_ZONE: none of these users chose another
PROFILE = "{ me { coachingProfile { locale } } }"
INSIGHTS = "{ me { coachingInsights(first: 10) { id title message } } }"
LEVEL2_EN = "coaching.glucose.level2_hyperglycaemia.title"


async def _sign_up(stack: Stack, locale: str, name: str = "Min") -> dict[str, Any]:
    email = f"lang-{secrets.token_hex(4)}@example.com"
    r = await gql(stack.url, contract_operation("SignUp"),
                  {"input": {"email": email, "password": PASSWORD, "displayName": name, "locale": locale}})
    assert "errors" not in r, r
    return {"id": r["data"]["signUp"]["user"]["id"], "email": email,
            "token": r["data"]["signUp"]["tokens"]["accessToken"]}


async def _until(what: str, check: Any, tries: int = 200) -> Any:
    for _ in range(tries):
        got = await check()
        if got:
            return got
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _coaching_knows(stack: Stack, user: dict[str, Any], locale: str) -> None:
    async def check() -> bool:
        r = await gql(stack.url, PROFILE, token=user["token"])
        return bool(r.get("data") and r["data"]["me"]["coachingProfile"]["locale"] == locale)
    await _until(f"coaching to learn {locale}", check)


async def _record_high_glucose(stack: Stack, user: dict[str, Any], taken_at: datetime, value: int = 320,
                               context: str | None = None) -> None:
    r = await gql(stack.url, contract_operation("RecordMeasurement"), {"input": {
        "type": "BLOOD_GLUCOSE", "value": value, "unit": "mg/dL", "takenAt": taken_at.isoformat(),
        "source": "MANUAL", "clientId": secrets.token_hex(8), "context": context}}, token=user["token"])
    assert "errors" not in r, r


async def _notifications(stack: Stack, user: dict[str, Any], count: int) -> list[dict[str, Any]]:
    async def check() -> list[dict[str, Any]] | None:
        r = await gql(stack.url, contract_operation("Notifications"), {"first": 20}, token=user["token"])
        nodes = [e["node"] for e in r["data"]["me"]["notifications"]["edges"]]
        return nodes if len(nodes) >= count else None
    return list(await _until(f"{count} notifications", check))


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


async def test_the_same_high_reading_reaches_each_user_in_their_own_language(stack: Stack) -> None:
    korean, english = await _sign_up(stack, "ko-KR", "민지"), await _sign_up(stack, "en-US", "Jane")
    japanese, switched = await _sign_up(stack, "ja-JP", "Aki"), await _sign_up(stack, "ko-KR", "Sam")
    bad = await gql(stack.url, contract_operation("SetLanguage"), {"locale": "qq-ZZ"}, token=switched["token"])
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    changed = await gql(stack.url, contract_operation("SetLanguage"), {"locale": "en"}, token=switched["token"])
    assert changed["data"]["setLanguagePreference"] == {"locale": "en"}
    for user, locale in ((korean, "ko-KR"), (english, "en-US"), (japanese, "ja-JP"), (switched, "en")):
        await _coaching_knows(stack, user, locale)
    taken_at = (datetime.now(UTC) - timedelta(minutes=30)).replace(second=0, microsecond=0)
    local = taken_at.astimezone(SEOUL)
    for user in (korean, english, japanese, switched):
        await _record_high_glucose(stack, user, taken_at)  # above 250: level 2 (ja text exists)
        await _record_high_glucose(stack, user, taken_at + timedelta(minutes=1), 200, "FASTING")  # no ja text

    hour12 = local.hour % 12 or 12
    ko_date, ko_time = f"{local.year}년 {local.month}월 {local.day}일", f"{'오전' if local.hour < 12 else '오후'} {hour12}:{local.minute:02d}"
    en_date, en_time = f"{local:%b} {local.day}, {local.year}", f"{hour12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
    ja_date, ja_time = f"{local.year}年{local.month}月{local.day}日", f"{local.hour}:{local.minute:02d}"
    expected = {
        "ko": ("매우 높은 혈당", ["320 mg/dL", ko_date, ko_time], "만파식에 오신 것을 환영합니다"),
        "en": ("Very high blood glucose", ["320 mg/dL (17.8 mmol/L)", en_date, en_time], "Welcome to ManPaSik"),
        "ja": ("非常に高い血糖値", ["320 mg/dL（17.8 mmol/L）", ja_date, ja_time], "ManPaSikへようこそ"),
    }
    for user, lang in ((korean, "ko"), (english, "en"), (japanese, "ja"), (switched, "en")):
        title, facts, welcome = expected[lang]
        notes = await _notifications(stack, user, 3)  # the welcome and one per insight
        insights = (await gql(stack.url, INSIGHTS, token=user["token"]))["data"]["me"]["coachingInsights"]
        level2 = next(i for i in insights if i["title"] == title)
        for fact in facts:
            assert fact in plain(level2["message"]), (lang, fact, level2["message"])
        pushed = next(n for n in notes if n["type"] == "COACHING_INSIGHT" and n["title"] == title)
        assert pushed["body"] == level2["message"]  # the notification in the same language
        if user is not switched:  # the welcome went out in the sign-up language
            assert [n["title"] for n in notes if n["type"] == "WELCOME"] == [welcome]
    # Where no Japanese text exists yet, the Japanese user reads the English one (never Korean).
    fasting = {"ko": "높은 공복 혈당", "en": "High fasting glucose", "ja": "High fasting glucose"}
    for user, lang in ((korean, "ko"), (english, "en"), (japanese, "ja")):
        insights = (await gql(stack.url, INSIGHTS, token=user["token"]))["data"]["me"]["coachingInsights"]
        assert sorted(i["title"] for i in insights) == sorted([expected[lang][0], fasting[lang]])
        notes = await _notifications(stack, user, 3)
        assert fasting[lang] in [n["title"] for n in notes if n["type"] == "COACHING_INSIGHT"]
    # The Korean user switches to English: the insights already written now read in English too.
    await gql(stack.url, contract_operation("SetLanguage"), {"locale": "en-US"}, token=korean["token"])

    async def in_english() -> bool:
        r = await gql(stack.url, INSIGHTS, token=korean["token"])
        return sorted(i["title"] for i in r["data"]["me"]["coachingInsights"]) == sorted(
            ["Very high blood glucose", "High fasting glucose"])
    await _until("the Korean user's insights in English", in_english)


async def _admin(stack: Stack, settings: Settings) -> str:
    admin = await _sign_up(stack, "en-US", "Admin")
    await set_roles(settings, admin["id"], "USER,ADMIN")
    r = await gql(stack.url, contract_operation("LogIn"), {"input": {"email": admin["email"], "password": PASSWORD}})
    return str(r["data"]["logIn"]["tokens"]["accessToken"])


async def test_an_admins_template_change_reaches_the_next_notification(stack: Stack, settings: Settings) -> None:
    admin = await _admin(stack, settings)
    upsert = contract_operation("UpsertTemplate", "admin.graphql")
    listed = await gql(stack.url, "query($k: String!) { messageTemplates(keyPrefix: $k, locale: \"en\") { body version } }",
                       {"k": LEVEL2_EN}, token=admin)
    [before] = listed["data"]["messageTemplates"]
    user = await _sign_up(stack, "en-GB", "Ada")
    assert error_codes(await gql(stack.url, upsert, {"input": {"key": LEVEL2_EN, "locale": "en", "body": "x"}},
                                 token=user["token"])) == ["FORBIDDEN"]
    bad = await gql(stack.url, upsert, {"input": {"key": LEVEL2_EN, "locale": "en", "body": "{value"}}, token=admin)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    body = "Glucose over 250: {value} mg/dL"
    made = await gql(stack.url, upsert, {"input": {"key": LEVEL2_EN, "locale": "en-US", "body": body}}, token=admin)
    assert made["data"]["upsertTemplate"] == {"key": LEVEL2_EN, "locale": "en", "body": body,
                                              "version": before["version"] + 1}
    try:
        await _coaching_knows(stack, user, "en-GB")

        async def changed() -> bool:  # each try is a new reading: the next one after the change has it
            await _record_high_glucose(stack, user, datetime.now(UTC).replace(microsecond=0))
            await asyncio.sleep(0.2)
            r = await gql(stack.url, contract_operation("Notifications"), {"first": 50}, token=user["token"])
            return any(e["node"]["title"] == "Glucose over 250: 320 mg/dL"
                       for e in r["data"]["me"]["notifications"]["edges"])
        await _until("the new text in a notification", changed, tries=40)

        async def listed() -> bool:  # the console lists the admin's action, as it does every subgraph's
            r = await gql(stack.url, contract_operation("AdminActions", "admin.graphql"), {"first": 50}, token=admin)
            assert r.get("data"), r
            return any(e["node"]["action"] == "TEMPLATE_UPDATED" for e in r["data"]["adminActions"]["edges"])
        await _until("the template change in adminActions", listed)
    finally:  # the catalogue lives on in Redis for the session: the shipped text again, as a newer version
        restored = await gql(stack.url, upsert, {"input": {"key": LEVEL2_EN, "locale": "en", "body": before["body"]}},
                             token=admin)
        assert restored["data"]["upsertTemplate"]["version"] == before["version"] + 2


async def test_glossary_terms_through_the_router_for_admins_only(stack: Stack, settings: Settings) -> None:
    admin = await _admin(stack, settings)
    op = contract_operation("UpsertGlossaryTerm", "admin.graphql")
    term = {"source": f"fasting glucose {secrets.token_hex(2)}", "sourceLocale": "en",
            "translations": [{"locale": "ko", "text": "공복 혈당"}, {"locale": "ja", "text": "空腹時血糖"}]}
    made = await gql(stack.url, op, {"input": term}, token=admin)
    got = made["data"]["upsertGlossaryTerm"]
    assert got["source"] == term["source"] and got["sourceLocale"] == "en" and got["id"]
    assert got["translations"] == [{"locale": "ja", "text": "空腹時血糖"}, {"locale": "ko", "text": "공복 혈당"}]
    user = await _sign_up(stack, "ko-KR")
    assert error_codes(await gql(stack.url, op, {"input": term}, token=user["token"])) == ["FORBIDDEN"]
    assert error_codes(await gql(stack.url, op, {"input": term})) == ["UNAUTHENTICATED"]
