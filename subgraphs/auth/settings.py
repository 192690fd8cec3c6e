"""Settings only the auth subgraph reads (the shared ones are in libs.config). Environment prefix `AUTH_`."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from libs.config import SubgraphSettings

# The password of the demo accounts seeded in dev (`demo.py`); prod refuses their log-in.
DEMO_PASSWORD = "manpasik-dev-1234"


class AuthSettings(SubgraphSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="AUTH_", extra="ignore")

    # AUTH_DATABASE: the auth database's name (DB_SUFFIX is appended).
    database: str = "manpasik_auth"
    # AUTH_WORKERS: run the outbox relay inside the API process (false: `manpasik worker auth` runs it).
    workers: bool = True

    # argon2id cost; defaults are argon2-cffi's RFC 9106 low-memory profile. Prod refuses less than OWASP's
    # minimum (19 MiB, 2 passes); tests lower it to spare the shared CPUs.
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    password_parallelism: int = 4

    # Links in emails point at the app (it calls verifyEmail / resetPassword with the token).
    app_url: str = "http://localhost:8080"
    email_token_ttl_s: int = 24 * 3600
    reset_token_ttl_s: int = 3600

    # Brute-force defence: after N failures in the window, each further attempt waits twice as long.
    login_failures_per_account: int = 5
    login_failures_per_ip: int = 20
    login_failure_window_s: int = 900
    login_max_delay_s: int = 900

    # 2FA. secrets_key: base64 of 32 random bytes sealing TOTP seeds at rest (required in prod).
    secrets_key: str | None = None
    totp_issuer: str = "ManPaSik"
    challenge_ttl_s: int = 300
    challenge_max_attempts: int = 5
    backup_code_count: int = 10

    # Mail (SMTP)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "ManPaSik <no-reply@manpasik.com>"

    # SMS codes: Twilio Verify v2 (https://www.twilio.com/docs/verify/api). Unset service sid: SMS disabled.
    twilio_verify_url: str = "https://verify.twilio.com"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_verify_service_sid: str | None = None

    # Social login: a provider without client id is disabled. Endpoints default to the documented ones.
    google_client_id: str | None = None
    google_client_secret: str | None = None
    google_authorize_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_token_url: str = "https://oauth2.googleapis.com/token"
    google_jwks_url: str = "https://www.googleapis.com/oauth2/v3/certs"
    google_issuers: list[str] = Field(
        default_factory=lambda: ["https://accounts.google.com", "accounts.google.com"]
    )

    kakao_client_id: str | None = None  # the app's REST API key
    kakao_client_secret: str | None = None
    kakao_authorize_url: str = "https://kauth.kakao.com/oauth/authorize"
    kakao_token_url: str = "https://kauth.kakao.com/oauth/token"
    kakao_jwks_url: str = "https://kauth.kakao.com/.well-known/jwks.json"
    kakao_issuer: str = "https://kauth.kakao.com"
    kakao_user_url: str = "https://kapi.kakao.com/v2/user/me"

    naver_client_id: str | None = None
    naver_client_secret: str | None = None
    naver_authorize_url: str = "https://nid.naver.com/oauth2.0/authorize"
    naver_token_url: str = "https://nid.naver.com/oauth2.0/token"
    naver_profile_url: str = "https://openapi.naver.com/v1/nid/me"
    social_state_ttl_s: int = 600
    # Exact redirect URIs the app may use (RFC 9700 §4.1.3); empty: any https URI or the app scheme.
    social_redirect_uris: list[str] = Field(default_factory=list)
