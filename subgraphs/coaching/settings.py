"""Settings only the coaching subgraph reads (the shared ones are in libs.config). Environment prefix
`COACHING_`: COACHING_DATABASE, COACHING_WORKERS, COACHING_LLM_URL, COACHING_LLM_MODEL, COACHING_LLM_API_KEY.
The default language of insights is the shared DEFAULT_LOCALE."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from libs.config import SubgraphSettings


class CoachingSettings(SubgraphSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="COACHING_", extra="ignore")

    database: str = "mps_coaching"
    workers: bool = True  # run the event workers inside the API process (else: `manpasik worker coaching`)

    # Optional rewording of insight messages by any OpenAI-compatible endpoint; off when the URL is unset.
    llm_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str | None = None
