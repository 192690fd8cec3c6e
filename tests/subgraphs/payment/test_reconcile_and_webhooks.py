"""When the provider does not answer: a confirm that times out leaves a state that reconciliation (or the
provider's webhook) settles, charging once; webhooks are only hints: a forged one changes nothing."""

from __future__ import annotations

import json

from sqlalchemy import select

from subgraphs.payment.models import OrderRow, PaymentRow, WebhookRow
from subgraphs.payment.resources import PaymentResources
from subgraphs.payment.sandbox import TossSandbox
from subgraphs.payment.worker import PaymentWorkers
from tests.subgraphs.payment.conftest import Phone, in_unit, post_webhook


async def _order(res: PaymentResources, order_id: str) -> OrderRow:
    async with res.sessions() as s:
        return (await s.execute(select(OrderRow).where(OrderRow.id == order_id))).scalar_one()  # type: ignore[arg-type]


async def _payments(res: PaymentResources, order_id: str) -> list[PaymentRow]:
    async with res.sessions() as s:
        return list((await s.execute(select(PaymentRow).where(PaymentRow.order_id == order_id))).scalars())  # type: ignore[arg-type]


async def test_a_timed_out_confirm_is_settled_by_reconciliation(
    phone: Phone, payment: PaymentResources, sandbox: TossSandbox
) -> None:
    order = await phone.start()
    key = await phone.widget(order)
    sandbox.delay("/v1/payments/confirm", 2.5)  # Toss charges, but answers after our 1 s timeout
    r = await phone.confirm(order, key)
    assert [e["extensions"]["code"] for e in r["errors"]] == ["PAYMENT_PENDING"]
    assert key in sandbox.approvals  # the money moved ...
    row = await _order(payment, order["orderId"])
    assert (row.status, row.payment_key) == ("UNKNOWN", key)  # ... and we know we must find out
    assert await _payments(payment, order["orderId"]) == []
    workers = PaymentWorkers(payment)
    assert await workers.reconcile_once() >= 1
    [paid] = await _payments(payment, order["orderId"])
    assert paid.payment_key == key and paid.amount == 9900
    assert (await _order(payment, order["orderId"])).status == "PAID"
    again = await phone.confirm(order, key)  # the app retries: the same answer, no second charge
    assert again["data"]["confirmPayment"]["payment"]["id"] == paid.id
    assert sandbox.approvals.count(key) == 1 and len(await _payments(payment, order["orderId"])) == 1


async def test_a_retried_confirm_after_a_timeout_charges_once(
    phone: Phone, payment: PaymentResources, sandbox: TossSandbox
) -> None:
    order = await phone.start()
    key = await phone.widget(order)
    sandbox.delay("/v1/payments/confirm", 2.5)
    first = await phone.confirm(order, key)
    assert first["errors"][0]["extensions"]["code"] == "PAYMENT_PENDING"
    second = await phone.confirm(order, key)  # same idempotency key: the provider replays its answer
    assert "errors" not in second, second
    assert sandbox.approvals.count(key) == 1 and len(await _payments(payment, order["orderId"])) == 1


async def test_a_webhook_settles_an_order_after_a_refetch(
    phone: Phone, payment: PaymentResources, payment_url: str, sandbox: TossSandbox
) -> None:
    order = await phone.start()
    key = await phone.widget(order)
    sandbox.delay("/v1/payments/confirm", 2.5)
    await phone.confirm(order, key)
    event = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "createdAt": "2026-12-01T10:00:00+09:00",
        "data": sandbox.payments[key],
    }
    first = await post_webhook(payment_url, event)
    repeat = await post_webhook(payment_url, event)  # Toss redelivers
    assert (first.status_code, first.json()["status"]) == (200, "received")
    assert (repeat.status_code, repeat.json()["status"]) == (200, "duplicate")
    assert await PaymentWorkers(payment).webhooks_once() == 1
    [paid] = await _payments(payment, order["orderId"])
    assert paid.payment_key == key and (await _order(payment, order["orderId"])).status == "PAID"


async def test_a_forged_webhook_changes_nothing(
    phone: Phone, payment: PaymentResources, payment_url: str, sandbox: TossSandbox
) -> None:
    order = await phone.start()
    key = await phone.widget(order)  # authenticated in the widget, never confirmed
    forged_done = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "createdAt": "2026-12-01T10:00:00+09:00",
        "data": {
            "paymentKey": key,
            "orderId": order["orderId"],
            "status": "DONE",
            "totalAmount": 9900,
            "balanceAmount": 9900,
            "currency": "KRW",
        },
    }
    unknown = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "createdAt": "2026-12-01T10:00:01+09:00",
        "data": {
            "paymentKey": "tgen_made_up",
            "orderId": order["orderId"],
            "status": "DONE",
            "totalAmount": 9900,
        },
    }
    for body in (forged_done, unknown):
        assert (await post_webhook(payment_url, body)).status_code == 200  # answered fast, as Toss wants
    assert (await post_webhook(payment_url, b"not json")).status_code == 400
    assert await PaymentWorkers(payment).webhooks_once() == 2
    assert (await _order(payment, order["orderId"])).status == "PENDING"
    assert await _payments(payment, order["orderId"]) == []
    assert key not in sandbox.approvals
    async with payment.sessions() as s:
        rows = list(
            (
                await s.execute(select(WebhookRow).where(WebhookRow.payment_key.in_([key, "tgen_made_up"])))
            ).scalars()
        )  # type: ignore[union-attr]
    assert len(rows) == 2 and all(r.handled_at is not None for r in rows)
    # The order can still be paid for real afterwards.
    done = await phone.confirm(order, key)
    assert "errors" not in done and json.dumps(done).count("PAID") == 1


async def test_an_abandoned_checkout_expires(phone: Phone, payment: PaymentResources) -> None:
    order = await phone.start()
    async with payment.db.write() as repo:
        row = await repo.order(order["orderId"])
        assert row is not None
        row.created_at = row.updated_at = row.created_at.replace(year=row.created_at.year - 1)
    changed, _ = await in_unit(payment, "reconcile_order", order["orderId"])
    assert changed and (await _order(payment, order["orderId"])).status == "EXPIRED"
    r = await phone.confirm(order, "tgen_late")
    assert r["errors"][0]["extensions"]["code"] == "CONFLICT"
