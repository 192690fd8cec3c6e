"""Settings only the admin subgraph reads (the shared ones are in libs.config). Environment prefix `ADMIN_`:
ADMIN_DATABASE, ADMIN_WORKERS, ADMIN_ROUTER_URL, ADMIN_SUBGRAPH_URLS (JSON: {"auth": "http://…:8001", …};
the dev stack fills both from the registry), ADMIN_HEALTH_TIMEOUT_S."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from libs.config import SubgraphSettings


class AdminSettings(SubgraphSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="ADMIN_", extra="ignore")

    database: str = "mps_admin"
    workers: bool = True  # run the event workers inside the API process (else: `manpasik worker admin`)

    # Where systemHealth looks: base URLs (no /graphql) whose /ready it asks.
    router_url: str | None = None
    subgraph_urls: dict[str, str] = {}
    health_timeout_s: float = 2.0
