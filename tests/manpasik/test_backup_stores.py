"""A backup holds every store the registry lists: the data subgraph's defaults name each SQL database and
each Mongo database, so a new subgraph cannot be left out of backups unnoticed."""

from __future__ import annotations

from manpasik.registry import SUBGRAPHS
from subgraphs.data.settings import DataSettings


def test_the_default_backup_covers_every_registered_store() -> None:
    own = DataSettings()
    sql = {(s.name, s.own().database) for s in SUBGRAPHS if s.sql}
    mongo = {(s.name, s.own().database) for s in SUBGRAPHS if "mongo" in s.stores}
    assert set(own.sql_stores()) == sql
    assert set(own.mongo_stores()) == mongo
