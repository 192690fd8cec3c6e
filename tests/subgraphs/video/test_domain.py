"""The pure rules: the status machine, the booking grid, weekly availability in the doctor's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from subgraphs.video import domain
from subgraphs.video.domain import AROUND_THE_CLOCK, Status

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")


def test_the_status_machine_allows_only_the_documented_paths() -> None:
    allowed = {(a, b) for a in Status for b in Status if domain.may_become(a, b)}
    assert allowed == {
        (Status.REQUESTED, Status.CONFIRMED), (Status.REQUESTED, Status.CANCELED),
        (Status.CONFIRMED, Status.IN_PROGRESS), (Status.CONFIRMED, Status.CANCELED),
        (Status.CONFIRMED, Status.NO_SHOW), (Status.IN_PROGRESS, Status.COMPLETED),
    }
    assert domain.sources_of(Status.CANCELED) == {Status.REQUESTED, Status.CONFIRMED}


def test_slots_cover_the_consultation_and_nothing_more() -> None:
    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert domain.slots(start, start + timedelta(minutes=30), 5) == [
        start + timedelta(minutes=m) for m in range(0, 30, 5)]
    assert domain.on_grid(start.replace(minute=35), 5)
    assert not domain.on_grid(start.replace(minute=33), 5)
    assert not domain.on_grid(start.replace(second=1), 5)


def test_weekday_hours_are_read_in_the_doctors_zone() -> None:
    # Monday 09:00-12:00 in Seoul is Monday 00:00-03:00 UTC.
    windows = domain.parse_windows([{"weekday": 0, "start": "09:00", "end": "12:00"}])
    monday_9_seoul = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    half_hour = timedelta(minutes=30)
    assert domain.available(windows, SEOUL, monday_9_seoul, monday_9_seoul + half_hour)
    assert domain.available(windows, SEOUL, monday_9_seoul + timedelta(hours=2, minutes=30),
                            monday_9_seoul + timedelta(hours=3))
    assert not domain.available(windows, SEOUL, monday_9_seoul + timedelta(hours=2, minutes=45),
                                monday_9_seoul + timedelta(hours=3, minutes=15))  # runs past 12:00
    assert not domain.available(windows, SEOUL, monday_9_seoul - half_hour, monday_9_seoul)
    assert not domain.available(windows, SEOUL, monday_9_seoul + timedelta(days=1),
                                monday_9_seoul + timedelta(days=1) + half_hour)  # Tuesday


def test_around_the_clock_spans_midnight_and_the_week() -> None:
    sunday_late = datetime(2026, 12, 13, 23, 45, tzinfo=SEOUL)
    assert domain.available(AROUND_THE_CLOCK, SEOUL, sunday_late, sunday_late + timedelta(minutes=30))
    two_windows = domain.parse_windows([{"weekday": 6, "start": "22:00", "end": "24:00"},
                                        {"weekday": 0, "start": "00:00", "end": "01:00"}])
    assert domain.available(two_windows, SEOUL, sunday_late, sunday_late + timedelta(minutes=30))
    sunday_only = domain.parse_windows([{"weekday": 6, "start": "22:00", "end": "24:00"}])
    assert not domain.available(sunday_only, SEOUL, sunday_late, sunday_late + timedelta(minutes=30))


def test_hours_keep_their_local_time_across_a_dst_change() -> None:
    windows = domain.parse_windows([{"weekday": 0, "start": "09:00", "end": "10:00"}])
    before = datetime(2026, 3, 2, 9, 0, tzinfo=NEW_YORK)  # EST
    after = datetime(2026, 3, 9, 9, 0, tzinfo=NEW_YORK)  # EDT: another UTC hour, the same local one
    for start in (before, after):
        assert domain.available(windows, NEW_YORK, start, start + timedelta(minutes=30))


@pytest.mark.parametrize("item", [
    {"weekday": 7, "start": "09:00", "end": "10:00"},
    {"weekday": 0, "start": "10:00", "end": "09:00"},
    {"weekday": 0, "start": "9am", "end": "10:00"},
    {"weekday": 0, "start": "09:00", "end": "24:01"},
    {"weekday": "0", "start": "09:00", "end": "10:00"},
])
def test_malformed_hours_are_refused(item: dict[str, object]) -> None:
    with pytest.raises(domain.InvalidAvailability):
        domain.parse_windows([item])
