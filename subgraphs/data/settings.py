"""Settings only the data subgraph reads (the shared ones are in libs.config). Environment prefix `DATA_`:
DATA_DATABASE, DATA_WORKERS, DATA_KEK, DATA_PUBLIC_URL, DATA_EXPORT_URL_TTL_S, DATA_EXPORT_KEEP_DAYS,
DATA_AUDIT_RETENTION_DAYS, DATA_RECORD_STREAMS, DATA_INTEGRITY_DOMAINS, DATA_BACKUP_DIR, DATA_BACKUP_SQL,
DATA_BACKUP_MONGO."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from libs.config import SettingsError, SubgraphSettings
from libs.crypto import LocalKeks

# Dev and test only: prod refuses it (see _refuse_dev_kek). base64 of 32 bytes.
DEV_KEK = "dev-1:ZGV2LW9ubHkta2V5LWVuY3J5cHRpb24ta2V5LTAwMDA="


class DataSettings(SubgraphSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="DATA_", extra="ignore")

    database: str = "mps_data"
    workers: bool = (
        True  # chain appends, exports, checks, backups, re-wrap in the API process (else: a worker)
    )
    # Key-encryption keys "id:base64(32 bytes),...": the first wraps new data keys, all unwrap. A KMS adapter
    # implements libs.crypto.KeyWrapper instead.
    kek: str = DEV_KEK

    # Where the owner downloads an export (this subgraph's /exports/... route, behind the ingress).
    public_url: str = "http://127.0.0.1:8008"
    export_url_ttl_s: int = 300  # a download link lives five minutes
    export_keep_days: int = 7
    audit_retention_days: int = 730  # PIPA safety measures Art. 8: at least two years
    # Streams carrying written health records (`measurement.recorded`, `health.record_written`).
    record_streams: str = "measurement,consultation"
    # Subgraphs that answer an integrity check by re-hashing their records (`integrity.records_hashed`).
    integrity_domains: str = "measurement,prescription,message"
    backup_dir: Path | None = None  # default: DATA_DIR/backups
    # Every store a backup holds, "<subgraph>:<database>" (DB_SUFFIX is appended); the manpasik tests check
    # these against the registry, so a new subgraph's store is not silently left out.
    backup_sql: str = (
        "auth:manpasik_auth,coaching:mps_coaching,payment:mps_payment,notification:mps_notification,"
        "data:mps_data,video:mps_video,admin:mps_admin,translation:mps_translation"
    )
    backup_mongo: str = "measurement:manpasik_measurements"

    @model_validator(mode="after")
    def _valid_keks(self) -> DataSettings:
        try:
            LocalKeks.parse(self.kek)
        except ValueError as e:
            raise SettingsError(f"DATA_KEK: {e}") from None
        return self

    def keks(self) -> LocalKeks:
        return LocalKeks.parse(self.kek)

    def refuse_dev_kek(self, env: str) -> None:
        if env == "prod" and self.kek == DEV_KEK:
            raise SettingsError("refusing to start in prod: DATA_KEK must be a random key, not the dev one")

    def streams(self) -> list[str]:
        return [s.strip() for s in self.record_streams.split(",") if s.strip()]

    def domains(self) -> list[str]:
        return [s.strip() for s in self.integrity_domains.split(",") if s.strip()]

    @staticmethod
    def _pairs(spec: str) -> list[tuple[str, str]]:
        out = []
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, _, database = part.partition(":")
            out.append((name.strip(), database.strip()))
        return out

    def sql_stores(self) -> list[tuple[str, str]]:
        return self._pairs(self.backup_sql)

    def mongo_stores(self) -> list[tuple[str, str]]:
        return self._pairs(self.backup_mongo)
