"""Time helpers every subgraph uses: aware UTC `now`, reading back naive datetimes, IANA zones."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones. Either way: aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def valid_zone(name: str) -> bool:
    """True for an IANA zone name this machine knows (`Asia/Seoul`), False for anything else."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone(*names: object) -> ZoneInfo:
    """The first of `names` that is a known IANA zone (user setting, event hint, default...), else UTC."""
    for name in names:
        if isinstance(name, str) and name and valid_zone(name):
            return ZoneInfo(name)
    return ZoneInfo("UTC")
