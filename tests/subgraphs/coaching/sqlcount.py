"""Counts the SQL statements a block sends to one database (for N+1 tests), through SQLAlchemy's events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


class Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements(database: str) -> Iterator[Counter]:
    counter = Counter()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if conn.engine.url.database == database and not statement.lstrip().upper().startswith("SELECT 1"):
            counter.statements.append(statement)

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(Engine, "before_cursor_execute", before)
