"""Optional language-model rewording against a local OpenAI-compatible server (`POST /chat/completions`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from libs.testing import free_port, running_app
from subgraphs.coaching.enrich import MessageEnricher
from subgraphs.coaching.resources import CoachingResources
from subgraphs.coaching.settings import CoachingSettings
from tests.subgraphs.coaching.conftest import handle, measurement_event, new_user


class FakeLlm:
    """Answers like the OpenAI chat-completions API; `reply` scripts the text it returns."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply = "Your fasting glucose was 250 mg/dL, which is high. Please talk to your doctor."

    def app(self) -> Starlette:
        async def completions(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append({"body": body, "auth": request.headers.get("authorization")})
            return JSONResponse({"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": self.reply}}]})
        return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


@pytest.fixture
async def llm() -> AsyncIterator[tuple[FakeLlm, str]]:
    fake, port = FakeLlm(), free_port()
    async with running_app(fake.app(), port=port) as base:
        yield fake, base + "/v1"


async def test_reworded_in_the_owners_language_keeping_the_numbers(
    llm: tuple[FakeLlm, str], coaching: CoachingResources,
) -> None:
    fake, url = llm
    own = CoachingSettings(llm_url=url, llm_api_key="sk-test")
    enricher = MessageEnricher(own)
    try:
        res = replace(coaching, own=own, deps=replace(coaching.deps, enricher=enricher))
        [row] = await handle(res, measurement_event(new_user(), value=250, locale="en-US"))
        assert row.texts["en"]["message"] == fake.reply
        assert "250" in row.texts["ko"]["message"] and row.texts["ko"]["message"] != fake.reply
        request = fake.requests[-1]
        assert request["auth"] == "Bearer sk-test" and request["body"]["model"] == own.llm_model
        assert "English" in request["body"]["messages"][0]["content"]

        template = "A fasting glucose of 250 mg/dL is in the diabetes range (126 or more)."
        fake.reply = "Your glucose is a bit high."  # the measured value got lost: the template stays
        assert await enricher.reword(template, "en", ["250"]) == template
        fake.reply = "Your glucose of 250 mg/dL is above 300."  # an invented number: the template stays
        assert await enricher.reword(template, "en", ["250"]) == template
    finally:
        await enricher.aclose()


async def test_an_unreachable_model_keeps_the_template() -> None:
    own = CoachingSettings(llm_url=f"http://127.0.0.1:{free_port()}/v1")
    enricher = MessageEnricher(own, timeout_s=1)
    try:
        assert await enricher.reword("혈당 250 mg/dL", "ko") == "혈당 250 mg/dL"
    finally:
        await enricher.aclose()
