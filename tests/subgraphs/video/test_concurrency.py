"""No double booking, decided by the database: concurrent bookings of one doctor's time (the same start, or
overlapping starts) give exactly one success, on PostgreSQL with separate connections in parallel."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from itertools import pairwise

from libs.config import Settings
from libs.testing.graphql import error_codes
from subgraphs.video.resources import VideoResources
from tests.subgraphs.video.conftest import book, doctor, next_slot, person

PATIENTS = 12


async def test_concurrent_bookings_of_one_slot_give_one_success(video_url: str, video: VideoResources,
                                                                settings: Settings) -> None:
    assert video.engine.dialect.name == "postgresql"
    doc = await doctor(video, settings)
    at = next_slot(180)
    results = await asyncio.gather(*(book(video_url, person(settings), doc, at) for _ in range(PATIENTS)))
    codes = sorted(tuple(error_codes(r)) for r in results)
    assert codes.count(()) == 1, codes
    assert codes.count(("CONFLICT",)) == PATIENTS - 1, codes


async def test_overlapping_starts_conflict_and_adjacent_ones_do_not(video_url: str, video: VideoResources,
                                                                    settings: Settings) -> None:
    doc = await doctor(video, settings)
    base = next_slot(240)
    # Starts every 5 minutes across an hour: 30-minute consultations, so at most two fit without overlap
    # in any 35-minute stretch; whichever wins, the winners never overlap.
    starts = [base + timedelta(minutes=5 * i) for i in range(12)]
    results = await asyncio.gather(*(book(video_url, person(settings), doc, at) for at in starts))
    won = sorted(at for at, r in zip(starts, results, strict=True) if "errors" not in r)
    assert won, [r.get("errors") for r in results]
    assert all(later - earlier >= timedelta(minutes=30) for earlier, later in pairwise(won))
    assert all(error_codes(r) == ["CONFLICT"] for r in results if "errors" in r)
    # Back to back is not an overlap: a booking right at the last winner's end fits (every loser lost to a
    # committed winner, so none holds that time).
    assert "errors" not in await book(video_url, person(settings), doc, won[-1] + timedelta(minutes=30))
