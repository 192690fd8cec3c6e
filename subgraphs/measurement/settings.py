"""Settings only the measurement subgraph reads (the shared ones are in libs.config). Environment prefix
`MEASUREMENT_`: MEASUREMENT_DATABASE, MEASUREMENT_WORKERS, MEASUREMENT_CARTRIDGE_SUN_KEYS,
MEASUREMENT_RELAY_INTERVAL_S, MEASUREMENT_RELAY_GRACE_S, MEASUREMENT_EVENTS_REDIS_URL."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from libs.config import SubgraphSettings
from subgraphs.measurement import sun


class MeasurementSettings(SubgraphSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="MEASUREMENT_", extra="ignore")

    database: str = "manpasik_measurements"  # a MongoDB database
    workers: bool = True  # the pending-event relay in the API process (else: `manpasik worker measurement`)

    # One AES-128 SUN key per cartridge lot: "LOT-A:00112233...,LOT-B:..." (the dev stack adds the demo lots).
    cartridge_sun_keys: str = ""
    # Measurements whose `measurement.recorded` did not reach the stream at record time are republished
    # every `relay_interval_s`, once `relay_grace_s` old (leaving the request's own publish time to finish).
    relay_interval_s: float = 5.0
    relay_grace_s: float = 10.0
    # The event bus when it is not the Redis of REDIS_URL (which keeps token revocations).
    events_redis_url: str | None = None

    def sun_keys(self) -> dict[str, bytes]:
        """{lot: 16-byte key} from `cartridge_sun_keys`; refuses a malformed entry."""
        return sun.parse_keys(self.cartridge_sun_keys)
