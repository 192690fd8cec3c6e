"""The payment events as the notification subgraph receives them become notifications in the user's language:
a successful payment, a refund, a failed renewal (the seed's break: a completed payment notified no one)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from libs.events import CloudEvent
from libs.events.streams import PAYMENT_REFUNDED, PAYMENT_SUCCEEDED, SUBSCRIPTION_RENEWAL_FAILED
from libs.time import utcnow
from subgraphs.notification.resources import NotificationResources
from subgraphs.payment.models import PaymentOutbox
from subgraphs.payment.resources import PaymentResources
from tests.subgraphs.notification.conftest import (  # noqa: F401  (the notification subgraph's fixtures)
    fake_fcm,
    notification,
    notification_own,
    notification_settings,
)
from tests.subgraphs.notification.conftest import service as notifications
from tests.subgraphs.payment.conftest import REFUND, Phone, another_phone, in_unit
from tests.subgraphs.payment.test_renewals import _make_due, _subscriber


async def _published(res: PaymentResources, user_id: str, types: set[str]) -> list[CloudEvent]:
    """The user's events as the outbox relay publishes them (the envelope is what goes on the stream)."""
    async with res.sessions() as s:
        rows = (await s.execute(select(PaymentOutbox).order_by(PaymentOutbox.seq))).scalars()  # type: ignore[arg-type]
        return [
            CloudEvent.from_dict(r.envelope)
            for r in rows
            if r.event_type in types and r.envelope["data"].get("userId") == user_id
        ]


async def test_payment_refund_and_failed_renewal_are_told_in_the_users_language(
    phone: Phone,
    payment: PaymentResources,
    notification: NotificationResources,  # noqa: F811
    payment_settings: object,
) -> None:
    english = another_phone(phone, payment_settings, locale="en-US")  # type: ignore[arg-type]
    korean = phone
    for p in (english, korean):
        await _subscriber(p, card="declined")  # paid by the widget; the card for renewals is declined
        paid = await p.me("payments(first: 1) { edges { node { id } } }")
        refund = await p.gql(
            REFUND, {"input": {"paymentId": paid["payments"]["edges"][0]["node"]["id"], "amount": 2000}}
        )
        assert "errors" not in refund, refund
        await _make_due(payment, p.user_id)
    while (await in_unit(payment, "run_due", utcnow() + timedelta(seconds=1)))[0]:
        pass
    wanted = {PAYMENT_SUCCEEDED, PAYMENT_REFUNDED, SUBSCRIPTION_RENEWAL_FAILED}
    texts = {}
    for p in (english, korean):
        events = await _published(payment, p.user_id, wanted)
        assert sorted(e.type for e in events) == sorted(wanted), events
        rows = await notifications(notification).handle_events(events)
        texts[p.locale] = {r.type: (r.title, r.body) for r in rows.items}
    assert texts["en-US"] == {
        "PAYMENT_SUCCEEDED": ("Payment received", "Your payment of KRW 9,900 went through."),
        "PAYMENT_REFUNDED": ("Refund issued", "A refund of KRW 2,000 has been issued."),
        "SUBSCRIPTION_RENEWAL_FAILED": (
            "Renewal failed",
            "We could not charge KRW 9,900 for your ManPaSik Premium "
            "(monthly) subscription. Please check your payment method.",
        ),
    }
    assert texts["ko-KR"] == {
        "PAYMENT_SUCCEEDED": ("결제 완료", "9,900원 결제가 완료되었습니다."),
        "PAYMENT_REFUNDED": ("환불 완료", "2,000원 환불이 처리되었습니다."),
        "SUBSCRIPTION_RENEWAL_FAILED": (
            "구독 갱신 실패",
            "만파식 프리미엄 (월간) 구독료 9,900원 결제에 실패했습니다. 결제 수단을 확인해 주세요.",
        ),
    }
