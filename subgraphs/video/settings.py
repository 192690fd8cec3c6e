"""Settings only the video subgraph reads (the shared ones are in libs.config). Environment prefix `VIDEO_`:
VIDEO_DATABASE, VIDEO_WORKERS, VIDEO_LIVEKIT_URL, VIDEO_LIVEKIT_API_KEY, VIDEO_LIVEKIT_API_SECRET,
VIDEO_TOKEN_TTL_S, VIDEO_CONSULTATION_MINUTES, VIDEO_SLOT_MINUTES, VIDEO_JOIN_EARLY_MINUTES,
VIDEO_REMINDER_MINUTES, VIDEO_REMINDER_INTERVAL_S, VIDEO_OVERRUN_MINUTES, VIDEO_PRESCRIBE_WITHIN_HOURS,
VIDEO_BOOKING_HORIZON_DAYS, VIDEO_FIRST_VISIT_ALLOWED, VIDEO_FOLLOW_UP_MONTHS, VIDEO_KEK,
VIDEO_RESEAL_INTERVAL_S."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from libs.config import MIN_SECRET_LENGTH, SettingsError, SubgraphSettings
from libs.crypto import LocalKeks

# The development key pair: run a local SFU with `livekit-server --dev --keys "devkey: <DEV_API_SECRET>"`
# (`--dev` alone signs with "secret", shorter than the 32 bytes HS256 keys need). `prod` refuses it.
DEV_API_KEY, DEV_API_SECRET = "devkey", "dev-only-livekit-secret-change-me-000000"
# Dev and test only (prod refuses it): base64 of 32 bytes.
DEV_KEK = "video-dev-1:dmlkZW8tZGV2LW9ubHkta2V5LWVuY3J5cHRpb24tazA="


class VideoSettings(SubgraphSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="VIDEO_", extra="ignore")

    database: str = "mps_video"
    workers: bool = True  # run the event workers inside the API process (else: `manpasik worker video`)

    # The LiveKit SFU the apps connect to, and the API key pair its access tokens are signed with.
    livekit_url: str = "ws://127.0.0.1:7880"
    livekit_api_key: str = DEV_API_KEY
    livekit_api_secret: str = DEV_API_SECRET
    token_ttl_s: int = 15 * 60  # LiveKit checks `exp` at connect only: short, one token per join

    consultation_minutes: int = 30
    slot_minutes: int = 5  # bookings start on this grid; each claims its slots (no double booking)
    join_early_minutes: int = 10
    reminder_minutes: int = 10
    reminder_interval_s: float = 5.0  # how often the workers look for consultations to remind
    overrun_minutes: int = 60  # a consultation not started by its end + this is no longer joinable
    prescribe_within_hours: int = 24
    booking_horizon_days: int = 90
    # Korean telemedicine (의료법 비대면진료): follow-up patients first. With first visits not allowed,
    # booking needs an in-person visit at the doctor's clinic within the last `follow_up_months`.
    first_visit_allowed: bool = True
    follow_up_months: int = 12
    # Key-encryption keys "id:base64(32 bytes),...": the first wraps new data keys, all unwrap (a KEK rotation
    # puts the new one first; the re-encryption pass re-wraps the data keys). Prescriptions and messages are
    # encrypted under the data keys (sealing.py).
    kek: str = Field(default=DEV_KEK, repr=False)  # never in logs
    reseal_interval_s: float = 30.0  # how often the workers move rows to the active data key

    def keks(self) -> LocalKeks:
        return LocalKeks.parse(self.kek)

    def refuse_unsafe(self, env: str) -> None:
        """`prod` refuses LiveKit's development key pair and short secrets (called with the shared env)."""
        if env == "prod" and (self.livekit_api_secret in (DEV_API_SECRET, "secret")
                              or len(self.livekit_api_secret) < MIN_SECRET_LENGTH):
            raise SettingsError("refusing to start in prod: VIDEO_LIVEKIT_API_SECRET must be the LiveKit "
                                f"API secret (at least {MIN_SECRET_LENGTH} characters)")
        if env == "prod" and self.kek == DEV_KEK:
            raise SettingsError("refusing to start in prod: VIDEO_KEK must be a random key, not the dev one")

    @model_validator(mode="after")
    def _consistent(self) -> VideoSettings:
        if self.slot_minutes < 1 or self.consultation_minutes % self.slot_minutes:
            raise SettingsError("VIDEO_CONSULTATION_MINUTES must be a multiple of VIDEO_SLOT_MINUTES")
        try:
            self.keks()
        except ValueError as e:
            raise SettingsError(f"VIDEO_KEK: {e}") from None
        return self
