"""Content digests: SHA-256 over one canonical JSON form, so the writer and a later checker hash alike."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        # One instant, one text: aware or naive-UTC (MongoDB's datetimes) give the same digest; milliseconds,
        # the precision every store keeps.
        at = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        at = at.astimezone(UTC)
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("a digest cannot cover a non-finite number")
        return int(value) if value.is_integer() else value  # 7.0 and 7 are the same reading
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def canonical_bytes(content: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8, absent and null alike, datetimes as UTC milliseconds."""
    return json.dumps(
        _canonical(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def content_digest(content: Mapping[str, Any]) -> str:
    """The hex SHA-256 of a record's canonical form."""
    return hashlib.sha256(canonical_bytes(content)).hexdigest()
