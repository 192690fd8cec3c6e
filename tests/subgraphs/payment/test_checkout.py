"""Plans, checkout and confirmation: the server decides the amount, a confirm charges once however often and
however concurrently it is sent, a tampered amount is refused before the provider is asked."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from libs.config import Settings
from libs.events.streams import INVOICE_ISSUED, PAYMENT_SUCCEEDED, SUBSCRIPTION_ACTIVATED
from libs.testing.graphql import error_codes, gql
from subgraphs.payment.models import InvoiceRow, OrderRow, PaymentOutbox, PaymentRow
from subgraphs.payment.resources import PaymentResources
from subgraphs.payment.sandbox import TossSandbox
from tests.subgraphs.payment.conftest import Phone, another_phone


async def _rows(res: PaymentResources, model: type, **where: object) -> list:  # type: ignore[type-arg]
    async with res.sessions() as s:
        stmt = select(model).where(*(getattr(model, k) == v for k, v in where.items()))
        return list((await s.execute(stmt)).scalars())


async def test_plans_are_public_with_prices_in_minor_units(payment_url: str) -> None:
    r = await gql(
        payment_url + "/graphql",
        '{ plans { id name en: name(locale: "en") price currency interval features } }',
    )
    plans = {p["id"]: p for p in r["data"]["plans"]}
    monthly = plans["premium-monthly"]
    assert (monthly["price"], monthly["currency"], monthly["interval"]) == (9900, "KRW", "MONTH")
    assert monthly["name"] == "만파식 프리미엄 (월간)" and monthly["en"] == "ManPaSik Premium (monthly)"
    assert plans["premium-yearly"]["interval"] == "YEAR" and "coaching.trends" in monthly["features"]


async def test_checkout_confirm_activates_and_invoices_once(
    phone: Phone, payment: PaymentResources, sandbox: TossSandbox
) -> None:
    order = await phone.start()
    assert (order["amount"], order["currency"]) == (9900, "KRW") and order["customerKey"].startswith("cus_")
    key = await phone.widget(order)
    first = await phone.confirm(order, key)
    assert "errors" not in first, first
    done = first["data"]["confirmPayment"]
    assert done["payment"]["status"] == "PAID" and done["payment"]["amount"] == 9900
    assert done["subscription"]["status"] == "ACTIVE" and done["subscription"]["plan"] == "premium-monthly"
    again = await phone.confirm(order, key)  # the app retried (lost answer, double tap)
    assert again["data"]["confirmPayment"] == done
    assert sandbox.approvals.count(key) == 1
    [payment_row] = await _rows(payment, PaymentRow, order_id=order["orderId"])
    [invoice] = await _rows(payment, InvoiceRow, payment_id=payment_row.id)
    assert invoice.number == f"MPS-{invoice.seq:08d}" and invoice.amount == 9900
    types = [
        o.event_type
        for o in await _rows(payment, PaymentOutbox)
        if o.envelope["data"].get("userId") == phone.user_id
    ]
    assert sorted(types) == sorted([PAYMENT_SUCCEEDED, INVOICE_ISSUED, SUBSCRIPTION_ACTIVATED])
    me = await phone.me(
        "subscription { plan status } entitlements payments(first: 5) { edges { node { id amount } } }"
        " invoices(first: 5) { edges { node { number } } }"
    )
    assert me["subscription"]["status"] == "ACTIVE" and "coaching.trends" in me["entitlements"]
    assert [e["node"]["id"] for e in me["payments"]["edges"]] == [done["payment"]["id"]]
    assert [e["node"]["number"] for e in me["invoices"]["edges"]] == [invoice.number]


async def test_concurrent_confirms_charge_once(
    phone: Phone, payment: PaymentResources, sandbox: TossSandbox
) -> None:
    order = await phone.start()
    key = await phone.widget(order)
    results = await asyncio.gather(*(phone.confirm(order, key) for _ in range(6)))
    assert all("errors" not in r for r in results), results
    assert len({r["data"]["confirmPayment"]["payment"]["id"] for r in results}) == 1
    assert sandbox.approvals.count(key) == 1
    assert len(await _rows(payment, PaymentRow, order_id=order["orderId"])) == 1
    confirm_calls = [c for c in sandbox.calls if c == ("POST", "/v1/payments/confirm")]
    assert confirm_calls  # the provider was asked, and only the first ask charged


async def test_a_tampered_amount_is_refused_and_nothing_is_charged(
    phone: Phone, payment: PaymentResources, sandbox: TossSandbox
) -> None:
    order = await phone.start()
    key = await phone.widget(order, amount=100)  # the widget was made to ask for 100 won
    calls = len(sandbox.calls)
    cheap = await phone.confirm(order, key, amount=100)
    assert error_codes(cheap) == ["BAD_USER_INPUT"] and cheap["errors"][0]["extensions"]["field"] == "amount"
    assert len(sandbox.calls) == calls  # refused before the provider was asked
    # With the order's amount, the provider refuses: its payment was authenticated for 100 won.
    honest = await phone.confirm(order, key)
    assert error_codes(honest) == ["PAYMENT_DECLINED"]
    assert key not in sandbox.approvals
    assert await _rows(payment, PaymentRow, order_id=order["orderId"]) == []
    [row] = await _rows(payment, OrderRow, id=order["orderId"])
    assert row.status == "FAILED"


async def test_a_declined_card_fails_the_order_and_says_why(phone: Phone, payment: PaymentResources) -> None:
    order = await phone.start()
    r = await phone.confirm(order, await phone.widget(order, card="declined"))
    assert error_codes(r) == ["PAYMENT_DECLINED"]
    assert r["errors"][0]["extensions"]["providerCode"] == "REJECT_CARD_PAYMENT"
    assert await _rows(payment, PaymentRow, order_id=order["orderId"]) == []
    assert await phone.me("subscription { id } entitlements") == {"subscription": None, "entitlements": []}


async def test_someone_elses_order_does_not_exist_for_you(
    phone: Phone, payment_settings: Settings, sandbox: TossSandbox
) -> None:
    order = await phone.start()
    key = await phone.widget(order)
    thief = another_phone(phone, payment_settings)
    r = await thief.confirm(order, key)
    assert error_codes(r) == ["NOT_FOUND"]
    assert key not in sandbox.approvals
    anonymous = await gql(
        phone.url + "/graphql", 'mutation { startCheckout(planId: "premium-monthly") { orderId } }'
    )
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    unknown = await phone.gql('mutation { startCheckout(planId: "free-forever") { orderId } }')
    assert error_codes(unknown) == ["NOT_FOUND"]


async def test_invoice_numbers_have_no_gaps_under_concurrency(
    phone: Phone, payment: PaymentResources, payment_settings: Settings
) -> None:
    phones = [another_phone(phone, payment_settings) for _ in range(8)]
    orders = [await p.start() for p in phones]
    keys = [await p.widget(o) for p, o in zip(phones, orders, strict=True)]
    # One of them is declined: its rollback must not burn a number.
    keys[3] = await phones[3].widget(orders[3], card="declined")
    await asyncio.gather(*(p.confirm(o, k) for p, o, k in zip(phones, orders, keys, strict=True)))
    async with payment.sessions() as s:
        seqs = sorted((await s.execute(select(InvoiceRow.seq))).scalars())  # type: ignore[call-overload]
        total = (await s.execute(select(func.count()).select_from(InvoiceRow))).scalar_one()
    assert seqs == list(range(1, total + 1))  # every invoice of the run: 1..n, none missing
