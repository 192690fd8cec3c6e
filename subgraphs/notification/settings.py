"""Settings only the notification subgraph reads (the shared ones are in libs.config). Env prefix
`NOTIFICATION_`: NOTIFICATION_WORKERS, NOTIFICATION_STREAMS, NOTIFICATION_FCM_SERVICE_ACCOUNT_FILE, ..."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from libs.config import SubgraphSettings


class NotificationSettings(SubgraphSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="NOTIFICATION_", extra="ignore")

    database: str = "mps_notification"
    # Run the event workers (consumers, outbox relay, push sender) inside the API process.
    workers: bool = True
    # The streams whose events become notifications (comma-separated).
    streams: str = "coaching,payment,consultation,auth"
    # FCM HTTP v1: a service-account JSON key file; push is off when unset.
    fcm_service_account_file: Path | None = None
    fcm_endpoint: str = "https://fcm.googleapis.com"

    def stream_names(self) -> list[str]:
        return [s.strip() for s in self.streams.split(",") if s.strip()]
