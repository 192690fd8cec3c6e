"""The data subgraph's rules, one service per concern, each built on a unit of work's repository and the deps:
`ChainService` (appending records and access entries), `IntegrityService` (checks and checkpoints),
`ExportService`, `KeyService` (data keys, rotation, re-wrap), `BackupService`, `ErasureService`.
They know neither Strawberry nor SQL."""

from subgraphs.data.service.backups import BackupService
from subgraphs.data.service.chain import ChainService, WrittenRecord, written_records
from subgraphs.data.service.checks import IntegrityService
from subgraphs.data.service.deps import CONSUMER_GROUP, SOURCE, DataDeps
from subgraphs.data.service.erasure import ErasureService
from subgraphs.data.service.exports import ExportService
from subgraphs.data.service.keys import KeyService

__all__ = [
    "CONSUMER_GROUP",
    "SOURCE",
    "BackupService",
    "ChainService",
    "DataDeps",
    "ErasureService",
    "ExportService",
    "IntegrityService",
    "KeyService",
    "WrittenRecord",
    "written_records",
]
