"""Typed settings, read once from the environment (and an optional `.env`).

Environments: `dev` (embedded stores, demo data), `test` (real stores, isolated names), `prod` (refuses weak
secrets and missing store URLs). Store URLs are shared by every subgraph; each subgraph gets its own database
(or Mongo database), named by its own settings (`SubgraphSettings.database`), with `DB_SUFFIX` appended so
test runs never collide. Settings one subgraph alone reads live in its package, with its own env prefix.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JWT_SECRET = "dev-only-insecure-secret-change-me-please-0000"
MIN_SECRET_LENGTH = 32


class SettingsError(ValueError):
    """Raised when the configuration is unsafe or incomplete for the chosen environment."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    env: Literal["dev", "test", "prod"] = Field("dev", alias="MANPASIK_ENV")
    data_dir: Path = Field(Path("data"), alias="DATA_DIR")

    # Stores. DATABASE_URL is a server URL (postgresql+asyncpg://user@host:5432) or a SQLite folder URL
    # (sqlite+aiosqlite:///path/to/folder); each subgraph appends its own database name.
    database_url: str | None = Field(None, alias="DATABASE_URL")
    mongodb_url: str | None = Field(None, alias="MONGODB_URL")
    redis_url: str = Field("redis://127.0.0.1:6379/0", alias="REDIS_URL")
    db_suffix: str = Field("", alias="DB_SUFFIX")
    redis_prefix: str = Field("mps:", alias="REDIS_PREFIX")

    # Tokens (the seed used one HS256 secret everywhere; ours is per environment).
    jwt_secret: str = Field(DEFAULT_JWT_SECRET, alias="JWT_SECRET")
    jwt_issuer: str = Field("https://auth.manpasik.com", alias="JWT_ISSUER")
    jwt_audience: str = Field("manpasik-api", alias="JWT_AUDIENCE")
    access_token_ttl_s: int = Field(900, alias="ACCESS_TOKEN_TTL")
    refresh_token_ttl_s: int = Field(14 * 24 * 3600, alias="REFRESH_TOKEN_TTL")
    # Signing: HS256 with JWT_SECRET (kid JWT_KID), or EdDSA/RS256 with JWT_PRIVATE_KEY (PEM, auth subgraph
    # only) and a JWKS for verifiers. Retired keys verify until their tokens expire: rotation logs no one out.
    jwt_algorithm: Literal["HS256", "EdDSA", "RS256"] = Field("HS256", alias="JWT_ALGORITHM")
    jwt_kid: str = Field("hs-1", alias="JWT_KID")
    jwt_previous_secrets: str = Field("", alias="JWT_PREVIOUS_SECRETS")  # "kid:secret,kid:secret"
    jwt_private_key: str | None = Field(None, alias="JWT_PRIVATE_KEY")
    jwt_previous_public_keys: str = Field("", alias="JWT_PREVIOUS_PUBLIC_KEYS")  # JWKS JSON of retired keys
    jwt_jwks_url: str | None = Field(None, alias="JWT_JWKS_URL")  # default: the auth subgraph's JWKS
    # A process's local revocation view is trusted only while Redis answered its pings within this many
    # seconds; when stale, every token check asks Redis (libs.auth.revocation_view).
    revocation_stale_after_s: float = Field(3.0, alias="REVOCATION_STALE_AFTER_S", gt=0)
    # Subgraphs sit behind the router, which appends the caller's address to X-Forwarded-For; they believe it
    # (and X-Request-Id) only from requests the router signed with this shared secret
    # (libs.graphql.router_credential). Required in prod; `make run` makes one per run.
    trust_forwarded_for: bool = Field(True, alias="TRUST_FORWARDED_FOR")
    router_subgraph_secret: str | None = Field(None, alias="ROUTER_SUBGRAPH_SECRET")

    log_level: str = Field("INFO", alias="LOG_LEVEL")
    log_json: bool = Field(True, alias="LOG_JSON")
    # `manpasik worker` serves /metrics here (it has no web server otherwise); None: no metrics port.
    worker_metrics_port: int | None = Field(None, alias="WORKER_METRICS_PORT")
    worker_metrics_host: str = Field("127.0.0.1", alias="WORKER_METRICS_HOST")

    # Events (libs.events): approximate cap per stream (MAXLEN ~); 0 disables trimming.
    event_stream_maxlen: int = Field(1_000_000, alias="EVENT_STREAM_MAXLEN")

    # Defaults for people who have not chosen: the language of messages and the zone of their clock.
    default_locale: str = Field("ko-KR", alias="DEFAULT_LOCALE")
    default_time_zone: str = Field("Asia/Seoul", alias="DEFAULT_TIME_ZONE")

    # Circuit breakers around external providers (FCM, Toss, Twilio, SMTP; libs.resilience), the seed's
    # values: open at 50 % failed calls (of at least 10 in 10 s), half-open after 30 s.
    provider_breaker_failure_rate: float = Field(0.5, alias="PROVIDER_BREAKER_FAILURE_RATE", gt=0, le=1)
    provider_breaker_minimum_calls: int = Field(10, alias="PROVIDER_BREAKER_MINIMUM_CALLS", ge=1)
    provider_breaker_window_s: float = Field(10.0, alias="PROVIDER_BREAKER_WINDOW_S", gt=0)
    provider_breaker_reset_s: float = Field(30.0, alias="PROVIDER_BREAKER_RESET_S", ge=0)

    @model_validator(mode="after")
    def _refuse_unsafe_prod(self) -> Settings:
        if self.env != "prod":
            return self
        problems = []
        if self.jwt_algorithm == "HS256" and (
            self.jwt_secret == DEFAULT_JWT_SECRET or len(self.jwt_secret) < MIN_SECRET_LENGTH
        ):
            problems.append(f"JWT_SECRET must be a random secret of at least {MIN_SECRET_LENGTH} characters")
        if not self.database_url or self.database_url.startswith("sqlite"):
            problems.append("DATABASE_URL must point at PostgreSQL (postgresql+asyncpg://...)")
        if not self.mongodb_url:
            problems.append("MONGODB_URL must be set")
        if problems:
            raise SettingsError("refusing to start in prod: " + "; ".join(problems))
        return self

    def require_router_secret(self) -> None:
        """Every process that serves a subgraph calls this: prod refuses one without the router's secret."""
        secret = self.router_subgraph_secret
        if self.env == "prod" and (not secret or len(secret) < MIN_SECRET_LENGTH):
            raise SettingsError(
                "refusing to start in prod: ROUTER_SUBGRAPH_SECRET must be a random secret of at least "
                f"{MIN_SECRET_LENGTH} characters (the router signs its requests with it)"
            )

    def database_name(self, database: str) -> str:
        """A subgraph's database (its settings' `database`) as named on the server: with DB_SUFFIX."""
        return database + self.db_suffix

    def sql_url(self, database: str) -> str:
        """The SQLAlchemy URL of one subgraph's own database (its settings' `database`)."""
        base = self.database_url or f"sqlite+aiosqlite:///{self.data_dir.resolve()}"
        name = self.database_name(database)
        if base.startswith("sqlite"):
            folder = base.split(":///", 1)[1].rstrip("/")
            Path(folder).mkdir(parents=True, exist_ok=True)
            return f"sqlite+aiosqlite:///{folder}/{name}.db"
        return base.rstrip("/") + "/" + name

    def redis_key(self, *parts: str) -> str:
        return self.redis_prefix + ":".join(parts)


class SubgraphSettings(BaseSettings):
    """Base of the settings one subgraph alone reads, in `subgraphs/<name>/settings.py`, with the environment
    prefix `<NAME>_` (`COACHING_WORKERS`, `AUTH_SMTP_HOST`, ...). What every subgraph reads stays above."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # The subgraph's own database (SQL) or Mongo database, named as in ARCHITECTURE.md; DB_SUFFIX is added.
    database: str


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
