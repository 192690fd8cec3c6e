# ruff: noqa: E501  (queries and expected texts read better unwrapped)
"""Suggestions: the translation memory first (a person's translation, exact or similar), then a machine draft
from DeepL's API (a local fake speaking it) with the glossary enforced; drafts are marked as drafts, machine
translation is off by default."""

from __future__ import annotations

from typing import Any

from libs.config import Settings
from libs.testing.graphql import error_codes, gql
from tests.subgraphs.translation.conftest import token_for
from tests.subgraphs.translation.fake_deepl import FakeDeepL

SUGGEST = ("mutation S($text: String!, $from: String!, $to: String!) { suggestTranslation(text: $text,"
           " sourceLocale: $from, targetLocale: $to) { text origin score machineDraft sourceText"
           " glossaryViolations } }")
UPSERT_TERM = ("mutation UpsertGlossaryTerm($input: GlossaryTermInput!) {"
               " upsertGlossaryTerm(input: $input) { id } }")
UPSERT_TEMPLATE = ("mutation UpsertTemplate($input: TemplateInput!) {"
                   " upsertTemplate(input: $input) { version } }")


async def _suggest(url: str, token: str, text: str, source: str = "en", target: str = "ja") -> dict[str, Any]:
    return await gql(url, SUGGEST, {"text": text, "from": source, "to": target}, token=token)


async def test_machine_drafts_keep_to_the_glossary(mt_url: str, deepl: tuple[FakeDeepL, str],
                                                   translation_settings: Settings) -> None:
    fake, _ = deepl
    admin = token_for(translation_settings, ["ADMIN"])
    # Without a glossary entry the provider picks its own word for the term ...
    plain = (await _suggest(mt_url, admin, "Your blood glucose is high.", target="ko"))["data"]["suggestTranslation"]
    assert plain["text"] == "당신의 혈중 포도당이 높습니다." and plain["origin"] == "MACHINE_DRAFT"
    assert "glossary_id" not in fake.translate_calls[-1]
    # ... with one, the fixed translation: the adapter made a DeepL glossary and sent its id.
    term = {"source": "blood glucose", "sourceLocale": "en",
            "translations": [{"locale": "ja", "text": "血糖値"}, {"locale": "ko", "text": "혈당"}]}
    assert (await gql(mt_url, UPSERT_TERM, {"input": term}, token=admin))["data"]["upsertGlossaryTerm"]["id"]
    text = "Recheck: your blood glucose is high."
    draft = (await _suggest(mt_url, admin, text))["data"]["suggestTranslation"]
    assert draft == {"text": "再検査: あなたの血糖値が高いです.", "origin": "MACHINE_DRAFT", "score": 100.0,
                     "machineDraft": True, "sourceText": text, "glossaryViolations": []}
    call = fake.translate_calls[-1]
    assert (call["source_lang"], call["target_lang"]) == ("EN", "JA")
    assert fake.glossaries[call["glossary_id"]]["entries"] == {"blood glucose": "血糖値"}
    # A glossary deleted on DeepL's side is made again.
    fake.glossaries.clear()
    other = (await _suggest(mt_url, admin, "Recheck your blood glucose."))["data"]["suggestTranslation"]
    assert other["text"] == "再検査 あなたの血糖値." and fake.glossaries
    # Asked again: the remembered draft, still a draft, and no second call to the provider.
    calls = len(fake.translate_calls)
    again = (await _suggest(mt_url, admin, text))["data"]["suggestTranslation"]
    assert (again["text"], again["machineDraft"], len(fake.translate_calls)) == (draft["text"], True, calls)
    # A provider that ignores the glossary: the draft says which term it broke and is not remembered.
    fake.honour_glossary = False
    try:
        broken_text = "Your blood glucose is high, recheck."
        broken = (await _suggest(mt_url, admin, broken_text))["data"]["suggestTranslation"]
        assert broken["glossaryViolations"] == ["blood glucose"] and "血糖値" not in broken["text"]
        calls = len(fake.translate_calls)
        await _suggest(mt_url, admin, broken_text)
        assert len(fake.translate_calls) == calls + 1  # asked again: nothing was remembered
    finally:
        fake.honour_glossary = True


async def test_the_memory_offers_a_persons_translation_first(mt_url: str, deepl: tuple[FakeDeepL, str],
                                                             translation_settings: Settings) -> None:
    fake, _ = deepl
    admin = token_for(translation_settings, ["ADMIN"])
    # An admin's ja text of a message enters the memory against the message's en text.
    ja = "{doctorName}先生が処方箋を発行しました。"
    upsert = {"key": "notification.PRESCRIPTION_ISSUED.body", "locale": "ja", "body": ja}
    assert (await gql(mt_url, UPSERT_TEMPLATE, {"input": upsert}, token=admin))["data"]["upsertTemplate"]
    calls = len(fake.translate_calls)
    exact = (await _suggest(mt_url, admin, "{doctorName} has issued a prescription for you."))["data"]
    assert exact["suggestTranslation"] == {"text": ja, "origin": "MEMORY", "score": 100.0, "machineDraft": False,
                                           "sourceText": "{doctorName} has issued a prescription for you.",
                                           "glossaryViolations": []}
    similar = (await _suggest(mt_url, admin, "{doctorName} has issued a new prescription for you."))["data"]
    fuzzy = similar["suggestTranslation"]
    assert fuzzy["origin"] == "MEMORY_FUZZY" and 85 <= fuzzy["score"] < 100 and fuzzy["text"] == ja
    assert fuzzy["sourceText"] == "{doctorName} has issued a prescription for you."
    assert len(fake.translate_calls) == calls  # the provider was not asked


async def test_machine_translation_is_off_by_default_and_admin_only(translation_url: str, mt_url: str,
                                                                    translation_settings: Settings) -> None:
    admin = token_for(translation_settings, ["ADMIN"])
    off = await _suggest(translation_url, admin, "A sentence nobody translated yet.")
    assert error_codes(off) == ["SERVICE_UNAVAILABLE"] and "TRANSLATION_MT_PROVIDER" in off["errors"][0]["message"]
    assert error_codes(await _suggest(mt_url, token_for(translation_settings), "Hello")) == ["FORBIDDEN"]
    for text, source, target, field in [("Hello", "xx", "ja", "sourceLocale"), ("Hello", "en", "en-GB", "targetLocale"),
                                        ("", "en", "ja", "text")]:
        bad = await _suggest(mt_url, admin, text, source, target)
        assert error_codes(bad) == ["BAD_USER_INPUT"] and bad["errors"][0]["extensions"]["field"] == field


async def test_provider_failures_are_clear_and_deepl_needs_a_key(deepl: tuple[FakeDeepL, str]) -> None:
    import httpx
    import pytest
    from pydantic import ValidationError

    from subgraphs.translation.deepl import DeepL
    from subgraphs.translation.errors import MachineTranslationFailed
    from subgraphs.translation.settings import TranslationSettings

    _, base = deepl
    async with httpx.AsyncClient() as http:
        with pytest.raises(MachineTranslationFailed, match="API key was refused"):
            await DeepL(http, base, "not-the-key", 5.0).translate("Hello", "en", "ja", [])
        with pytest.raises(MachineTranslationFailed, match="ConnectError"):
            await DeepL(http, "http://127.0.0.1:9", "k", 1.0).translate("Hello", "en", "ja", [])
    with pytest.raises(ValidationError, match="TRANSLATION_DEEPL_API_KEY"):
        TranslationSettings(mt_provider="deepl")
    assert TranslationSettings().mt_provider == "off"  # off unless asked for
