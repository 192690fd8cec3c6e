"""Backups of every store: each SQL database (PostgreSQL or SQLite) and each MongoDB database, in one gzip'd
JSON-lines archive, encrypted (libs.crypto.files: the KEK alone restores it) and checksummed.

    result = await write_backup(sql=[SqlStore("auth", url)], mongo=[MongoStore("measurement", url, db)],
                                directory=Path("data/backups"), keks=keks)  # BackupFile(path, size, ...)
    await restore_backup(result.path, keks, sql={"auth": SqlTarget(url, migrate)}, mongo={...},
                         checksum=result.checksum)                             # into empty stores only

Consistency: each PostgreSQL database is read in one REPEATABLE READ, READ ONLY transaction (one snapshot per
database); a standalone MongoDB has no snapshot reads, so a collection is read as it goes (writes during the
backup may or may not be in it; the measurement outbox marker republishes what a restore lacks downstream).
A restore first brings each SQL database to the backup's Alembic revision with the subgraph's own migrations
(`SqlTarget.migrate`), then replaces the tables' rows, so the schema is exactly the code's.
"""

from libs.backup.archive import (
    BackupFile,
    MongoStore,
    MongoTarget,
    RestoreRefused,
    SqlStore,
    SqlTarget,
    restore_backup,
    write_backup,
)

__all__ = [
    "BackupFile",
    "MongoStore",
    "MongoTarget",
    "RestoreRefused",
    "SqlStore",
    "SqlTarget",
    "restore_backup",
    "write_backup",
]
