"""Settings only the payment subgraph reads (the shared ones are in libs.config). Environment prefix
`PAYMENT_`: PAYMENT_DATABASE, PAYMENT_WORKERS, PAYMENT_TOSS_*, PAYMENT_RENEWAL_*, PAYMENT_DUNNING_*, ..."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from libs.config import SubgraphSettings

TOSS_API_URL = "https://api.tosspayments.com"
# The sandbox's own key: any `test_sk_` key works with it, this one when nothing is configured.
SANDBOX_SECRET_KEY = "test_sk_manpasik_sandbox_0000000000"


class PaymentSettings(SubgraphSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="PAYMENT_", extra="ignore")

    database: str = "mps_payment"
    # Run the workers (outbox relay, renewal scheduler, reconciliation, webhook inbox) in the API process.
    workers: bool = True

    # Toss Payments core API v1 (docs.tosspayments.com). Live keys start `live_sk_`; prod refuses test keys.
    toss_api_url: str = TOSS_API_URL
    toss_secret_key: str = SANDBOX_SECRET_KEY
    toss_timeout_s: float = 10.0
    # The local Toss sandbox (`python -m subgraphs.payment.sandbox`; the dev stack starts it, never prod).
    toss_sandbox_port: int = 8090
    # Where the sandbox posts its webhooks (the payment subgraph's /webhooks/toss).
    toss_sandbox_webhook_url: str | None = None

    # Renewals: the scheduler looks for due subscriptions this often; each period is charged once.
    renewal_interval_s: float = 30.0
    # Dunning: after a failed renewal, retry after these many hours (then the subscription expires).
    dunning_retry_hours: str = "24,72,120"
    # Reconciliation: a confirm or refund whose outcome is unknown is settled with the provider after this.
    reconcile_after_s: float = 60.0
    reconcile_interval_s: float = 60.0
    # Orders nobody paid for are closed after this (Toss: 30 min to authenticate + 10 min to confirm).
    order_ttl_s: float = 45 * 60.0

    def dunning_schedule_hours(self) -> list[float]:
        return [float(h) for h in self.dunning_retry_hours.split(",") if h.strip()]

    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.toss_sandbox_port}"
