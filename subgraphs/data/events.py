"""What the data subgraph publishes, on the `data` stream through its outbox (built in the services):
`data.export_ready`, `data.integrity_check_requested` (each health-record subgraph answers with
`integrity.records_hashed`), `data.integrity_failed`, `data.backup_completed`. What it consumes: the record
streams (DataSettings.record_streams), `audit`, `auth` (erasure) and its own `data` stream."""

from __future__ import annotations

from libs.events.streams import (
    DATA_BACKUP_COMPLETED,
    DATA_EXPORT_READY,
    DATA_INTEGRITY_CHECK_REQUESTED,
    DATA_INTEGRITY_FAILED,
)
from subgraphs.data.service.deps import SOURCE

PUBLISHED = (DATA_EXPORT_READY, DATA_INTEGRITY_CHECK_REQUESTED, DATA_INTEGRITY_FAILED, DATA_BACKUP_COMPLETED)

__all__ = ["PUBLISHED", "SOURCE"]
