"""Settings only the translation subgraph reads (the shared ones are in libs.config). Env prefix
`TRANSLATION_`: TRANSLATION_DATABASE, TRANSLATION_WORKERS, TRANSLATION_MT_PROVIDER (off | deepl),
TRANSLATION_DEEPL_API_KEY, TRANSLATION_DEEPL_API_URL, TRANSLATION_MT_TIMEOUT_S, TRANSLATION_TM_FUZZY_MIN."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from libs.config import SubgraphSettings


class TranslationSettings(SubgraphSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="TRANSLATION_", extra="ignore")

    database: str = "mps_translation"
    workers: bool = True  # run the event workers inside the API process (else: `manpasik worker translation`)

    # Machine translation drafts: off unless a provider and its key are set.
    mt_provider: Literal["off", "deepl"] = "off"
    deepl_api_key: SecretStr | None = None
    # api-free.deepl.com for Free keys (ending in ":fx"), api.deepl.com for Pro.
    deepl_api_url: str = "https://api-free.deepl.com"
    mt_timeout_s: float = 10.0
    # Translation memory: a past translation is offered when its source is at least this similar (0-100).
    tm_fuzzy_min: float = 85.0

    @model_validator(mode="after")
    def _mt_needs_a_key(self) -> TranslationSettings:
        if self.mt_provider == "deepl" and not self.deepl_api_key:
            raise ValueError("TRANSLATION_MT_PROVIDER=deepl needs TRANSLATION_DEEPL_API_KEY")
        return self
