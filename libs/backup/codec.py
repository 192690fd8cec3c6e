"""Column values to JSON and back without losing their type (times, bytes, decimals, JSON documents)."""

from __future__ import annotations

import base64
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any


def encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return {"$t": "dt", "v": value.isoformat()}
    if isinstance(value, date):
        return {"$t": "d", "v": value.isoformat()}
    if isinstance(value, time):
        return {"$t": "tm", "v": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$t": "td", "v": value.total_seconds()}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$t": "b", "v": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, Decimal):
        return {"$t": "dec", "v": str(value)}
    if isinstance(value, uuid.UUID):
        return {"$t": "uuid", "v": str(value)}
    if isinstance(value, dict | list):
        return {"$t": "json", "v": value}  # a JSON column: kept whole, never mistaken for a tag
    raise TypeError(f"cannot back up a {type(value).__name__}")


_DECODERS: dict[str, Any] = {
    "dt": datetime.fromisoformat,
    "d": date.fromisoformat,
    "tm": time.fromisoformat,
    "td": lambda v: timedelta(seconds=v),
    "b": base64.b64decode,
    "dec": Decimal,
    "uuid": uuid.UUID,
    "json": lambda v: v,
}


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        return _DECODERS[value["$t"]](value["v"])
    return value
