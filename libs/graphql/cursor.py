"""One opaque cursor format for every connection: base64url (no padding) of `<iso time>|<id>`.

Every list we page is ordered by a time and broken by an id, so the cursor is the (time, id) of the last row
seen. Clients must treat it as opaque; a cursor that does not decode is BAD_USER_INPUT on `field`.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from libs.errors import BadUserInput
from libs.time import as_utc


def encode_cursor(at: datetime, id_: str) -> str:
    raw = f"{as_utc(at).isoformat()}|{id_}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, field: str = "after") -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, sep, id_ = raw.partition("|")
        if not sep or not id_:
            raise ValueError("no id")
        return as_utc(datetime.fromisoformat(at)), id_
    except (ValueError, UnicodeDecodeError, binascii.Error) as e:
        raise BadUserInput(f"{field} is not a cursor from this list", field=field) from e
