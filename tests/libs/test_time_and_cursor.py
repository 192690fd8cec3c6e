"""Time helpers and the one opaque cursor format, as a client would send them (valid, tampered, foreign)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from libs.errors import BadUserInput
from libs.graphql.cursor import decode_cursor, encode_cursor
from libs.time import as_utc, utcnow, valid_zone, zone


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


def test_as_utc_reads_naive_as_utc_and_converts_aware() -> None:
    assert as_utc(datetime(2026, 1, 1, 9, 0)) == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    seoul = datetime(2026, 1, 1, 18, 0, tzinfo=timezone(timedelta(hours=9)))
    assert as_utc(seoul) == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    assert as_utc(seoul).tzinfo is UTC


@pytest.mark.parametrize("name, ok", [
    ("Asia/Seoul", True), ("UTC", True), ("America/Argentina/Buenos_Aires", True),
    ("Mars/Olympus", False), ("", False), ("../../etc/passwd", False), ("Asia/Seoul\x00", False)])
def test_valid_zone(name: str, ok: bool) -> None:
    assert valid_zone(name) is ok


def test_zone_takes_the_first_known_name_else_utc() -> None:
    assert zone(None, "", "Nowhere/City", "Asia/Tokyo", "Asia/Seoul").key == "Asia/Tokyo"
    assert zone(None, 42, "bogus").key == "UTC"
    assert zone().key == "UTC"


@pytest.mark.parametrize("at", [datetime(2026, 12, 1, 3, 4, 5, 678901, tzinfo=UTC),
                                datetime(1999, 1, 1, tzinfo=timezone(timedelta(hours=-5))),
                                datetime(2026, 6, 1, 12, 0)])  # naive: read as UTC
@pytest.mark.parametrize("id_", ["6b082a39c3cf83e0065ebdfd", "a|b|c", "사용자-1", "x"])
def test_cursor_round_trips(at: datetime, id_: str) -> None:
    cursor = encode_cursor(at, id_)
    assert "=" not in cursor and "|" not in cursor  # opaque, URL-safe
    assert decode_cursor(cursor) == (as_utc(at), id_)


@pytest.mark.parametrize("garbage", ["", "not base64 at all!", "Zm9v",  # "foo": no separator
                                     base64.urlsafe_b64encode(b"yesterday|id").decode(),
                                     base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|").decode(),
                                     base64.urlsafe_b64encode(b"\xff\xfe|x").decode()])
def test_a_cursor_that_does_not_decode_is_bad_user_input(garbage: str) -> None:
    with pytest.raises(BadUserInput) as caught:
        decode_cursor(garbage, field="before")
    assert caught.value.field == "before"
    assert caught.value.as_extensions()["code"] == "BAD_USER_INPUT"


def test_cursors_order_like_their_rows() -> None:
    """Two rows at the same time are told apart by id, and the cursor keeps both parts exactly."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    a, b = decode_cursor(encode_cursor(at, "a")), decode_cursor(encode_cursor(at, "b"))
    assert a < b
