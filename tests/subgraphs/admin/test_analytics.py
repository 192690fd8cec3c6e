"""Analytics per day, folded from the event streams exactly as the producers publish them, and rebuilt
from the streams alone. Days are calendar days in the platform's time zone (Asia/Seoul by default)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from libs.config import Settings
from libs.events import CloudEvent
from libs.events.streams import (
    AUTH_STREAM,
    COACHING_INSIGHT_CREATED,
    COACHING_STREAM,
    CONSULTATION_BOOKED,
    CONSULTATION_STREAM,
    MEASUREMENT_RECORDED,
    MEASUREMENT_STREAM,
    PAYMENT_REFUNDED,
    PAYMENT_STREAM,
    PAYMENT_SUCCEEDED,
    SUBSCRIPTION_ACTIVATED,
    USER_SIGNED_UP,
    USER_SUSPENDED,
)
from libs.testing.graphql import error_codes, gql
from subgraphs.admin.resources import AdminResources
from subgraphs.admin.worker import rebuild_analytics
from tests.subgraphs.admin.conftest import consume, event_at, publish, token_for

ANALYTICS = """query Analytics($from: Date!, $to: Date!) {
  analytics(from: $from, to: $to) {
    date activeUsers newUsers measurementsRecorded coachingInsights newSubscriptions revenue consultations
  }
}"""


def seoul(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A wall-clock moment in Seoul, as the UTC instant an envelope carries."""
    local = datetime.combine(day, time(hour, minute, second), ZoneInfo("Asia/Seoul"))
    return local.astimezone(UTC)


def a_day_nobody_else_uses() -> date:
    return date(2019, 1, 1) + timedelta(days=random.randrange(0, 2000))  # in the past: no clash with today


def zeros(day: date) -> dict[str, object]:
    return {
        "date": day.isoformat(),
        "activeUsers": 0,
        "newUsers": 0,
        "measurementsRecorded": 0,
        "coachingInsights": 0,
        "newSubscriptions": 0,
        "revenue": {},
        "consultations": 0,
    }


async def generate(admin: AdminResources, d: date) -> tuple[list[dict[str, object]], CloudEvent]:
    """Two days of events from every domain; returns what analytics must say for d..d+2, and one event."""
    u1, u2, u3, admin_id = "u1-" + d.isoformat(), "u2-" + d.isoformat(), "u3-" + d.isoformat(), "adm-1"
    nxt = d + timedelta(days=1)
    m = [
        event_at(
            MEASUREMENT_RECORDED,
            seoul(d, h),
            "/subgraphs/measurement",
            userId=u,
            measurementId=f"m{h}",
            type="BLOOD_GLUCOSE",
            value=100,
            unit="mg/dL",
        )
        for u, h in ((u1, 8), (u1, 9), (u1, 21), (u2, 22))
    ]
    # 00:00:30 in Seoul is still the previous day in UTC: it counts for the Seoul day.
    late = event_at(
        MEASUREMENT_RECORDED,
        seoul(nxt, 0, 0, 30),
        "/subgraphs/measurement",
        userId=u3,
        measurementId="m-late",
        type="WEIGHT",
        value=70,
        unit="kg",
    )
    await publish(
        admin,
        AUTH_STREAM,
        event_at(
            USER_SIGNED_UP,
            seoul(d, 0, 10),
            "/subgraphs/auth",
            userId=u1,
            displayName="A",
            locale="ko",
            roles=["USER"],
        ),
        event_at(
            USER_SIGNED_UP,
            seoul(d, 12),
            "/subgraphs/auth",
            userId=u2,
            displayName="B",
            locale="en",
            roles=["USER"],
        ),
        # Something done *to* u3 (by an admin) does not make u3 active.
        event_at(
            USER_SUSPENDED,
            seoul(d, 13),
            "/subgraphs/auth",
            userId=u3,
            actorId=admin_id,
            reason="spam",
            requestId="req-1",
        ),
    )
    await publish(admin, MEASUREMENT_STREAM, *m, late)
    await publish(
        admin,
        COACHING_STREAM,
        *(
            event_at(
                COACHING_INSIGHT_CREATED,
                seoul(d, 9, 1 + i),
                "/subgraphs/coaching",
                userId=u,
                insightId=f"i{i}",
                severity="WARNING",
            )
            for i, u in enumerate((u1, u3))
        ),
    )
    await publish(
        admin,
        PAYMENT_STREAM,
        event_at(
            PAYMENT_SUCCEEDED,
            seoul(d, 10),
            "/subgraphs/payment",
            userId=u1,
            paymentId="p1",
            amount=9900,
            currency="KRW",
            kind="SUBSCRIPTION",
        ),
        event_at(SUBSCRIPTION_ACTIVATED, seoul(d, 10), "/subgraphs/payment", userId=u1, subscriptionId="s1"),
        event_at(
            PAYMENT_SUCCEEDED,
            seoul(d, 11),
            "/subgraphs/payment",
            userId=u2,
            paymentId="p2",
            amount=1299,
            currency="USD",
            kind="ONE_OFF",
        ),
        event_at(
            PAYMENT_REFUNDED,
            seoul(d, 23, 59),
            "/subgraphs/payment",
            userId=u1,
            paymentId="p1",
            refundId="r1",
            amount=4900,
            currency="KRW",
        ),
        event_at(
            PAYMENT_SUCCEEDED,
            seoul(nxt, 23, 59, 59),
            "/subgraphs/payment",
            userId=u3,
            paymentId="p3",
            amount=1000,
            currency="KRW",
            kind="ONE_OFF",
        ),
    )
    await publish(
        admin,
        CONSULTATION_STREAM,
        event_at(
            CONSULTATION_BOOKED,
            seoul(d, 15),
            "/subgraphs/video",
            patientId=u2,
            doctorId="doc",
            consultationId="c1",
            status="REQUESTED",
        ),
    )
    expected = [
        {
            "date": d.isoformat(),
            "activeUsers": 2,
            "newUsers": 2,
            "measurementsRecorded": 4,
            "coachingInsights": 2,
            "newSubscriptions": 1,
            "revenue": {"KRW": 5000, "USD": 1299},
            "consultations": 1,
        },
        {**zeros(nxt), "activeUsers": 1, "measurementsRecorded": 1, "revenue": {"KRW": 1000}},
        zeros(nxt + timedelta(days=1)),
    ]
    return expected, m[0]


async def test_analytics_equal_what_was_generated_also_after_a_redelivery_and_a_rebuild(
    admin: AdminResources,
    admin_url: str,
    settings: Settings,
) -> None:
    d = a_day_nobody_else_uses()
    expected, one = await generate(admin, d)
    await consume(admin)
    token = token_for(settings, roles=["ADMIN"])
    span = {"from": d.isoformat(), "to": (d + timedelta(days=2)).isoformat()}

    result = await gql(admin_url, ANALYTICS, span, token=token)
    assert result.get("data", {}).get("analytics") == expected, result

    # The same event again (a redelivery after a crash, or a producer's retry): counted once.
    await publish(admin, MEASUREMENT_STREAM, one)
    await consume(admin)
    assert (await gql(admin_url, ANALYTICS, span, token=token))["data"]["analytics"] == expected

    # Spoil the figures, then rebuild from the streams alone: the same numbers come back.
    async with admin.engine.begin() as conn:
        await conn.execute(text("UPDATE admin_analytics_days SET measurements = 999"))
        await conn.execute(text("DELETE FROM admin_analytics_active"))
    assert (await gql(admin_url, ANALYTICS, span, token=token))["data"]["analytics"] != expected
    assert await rebuild_analytics(admin) > 0
    assert (await gql(admin_url, ANALYTICS, span, token=token))["data"]["analytics"] == expected

    # Events after the rebuild are counted on top (nothing was left marked but unfolded, nor twice).
    await publish(
        admin,
        MEASUREMENT_STREAM,
        event_at(
            MEASUREMENT_RECORDED,
            seoul(d, 23),
            "/subgraphs/measurement",
            userId="u9",
            measurementId="m-after",
            type="WEIGHT",
            value=1,
            unit="kg",
        ),
    )
    await consume(admin)
    after = (await gql(admin_url, ANALYTICS, span, token=token))["data"]["analytics"]
    assert after[0] == {**expected[0], "measurementsRecorded": 5, "activeUsers": 3}
    assert after[1:] == expected[1:]


async def test_analytics_bad_ranges_are_refused_with_the_field(admin_url: str, settings: Settings) -> None:
    token = token_for(settings, roles=["ADMIN"])
    backwards = await gql(admin_url, ANALYTICS, {"from": "2026-03-02", "to": "2026-03-01"}, token=token)
    assert error_codes(backwards) == ["BAD_USER_INPUT"]
    assert backwards["errors"][0]["extensions"]["field"] == "to"
    too_long = await gql(admin_url, ANALYTICS, {"from": "2024-01-01", "to": "2025-01-01"}, token=token)
    assert error_codes(too_long) == ["BAD_USER_INPUT"]
    one_year = await gql(admin_url, ANALYTICS, {"from": "2024-01-01", "to": "2024-12-31"}, token=token)
    assert len(one_year["data"]["analytics"]) == 366  # a leap year, inclusive
    not_a_date = await gql(admin_url, ANALYTICS, {"from": "2026-02-30", "to": "2026-03-01"}, token=token)
    assert not_a_date.get("data") is None and not_a_date["errors"]
    assert "Traceback" not in str(not_a_date)
