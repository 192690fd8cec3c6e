"""Refunds: full and partial cancels at the provider; concurrent requests never refund more than was paid;
each refund keeps the provider's reference; someone else's payment cannot be refunded."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from libs.config import Settings
from libs.testing.graphql import error_codes
from subgraphs.payment.models import RefundRow
from subgraphs.payment.resources import PaymentResources
from subgraphs.payment.sandbox import TossSandbox
from tests.subgraphs.payment.conftest import REFUND, Phone, another_phone, token_for


async def test_concurrent_partial_refunds_never_exceed_the_payment(
    phone: Phone, payment: PaymentResources, sandbox: TossSandbox
) -> None:
    paid = (await phone.subscribe())["payment"]
    results = await asyncio.gather(
        *(
            phone.gql(REFUND, {"input": {"paymentId": paid["id"], "amount": 3000, "reason": "partial"}})
            for _ in range(5)
        )
    )
    ok = [r for r in results if "errors" not in r]
    refused = [r for r in results if "errors" in r]
    assert len(ok) == 3 and len(refused) == 2  # 3 x 3000 <= 9900 < 4 x 3000
    assert {error_codes(r)[0] for r in refused} == {"BAD_USER_INPUT"}
    assert refused[0]["errors"][0]["extensions"]["refundable"] == 900
    async with payment.sessions() as s:
        refunds = list(
            (await s.execute(select(RefundRow).where(RefundRow.payment_id == paid["id"]))).scalars()
        )  # type: ignore[arg-type]
    assert sum(r.amount for r in refunds) == 9000 and all(r.status == "DONE" for r in refunds)
    assert len({r.provider_reference for r in refunds}) == 3 and all(r.provider_reference for r in refunds)
    toss = next(
        p
        for p in sandbox.payments.values()
        if p["orderId"].startswith("ord_")
        and p["totalAmount"] == 9900
        and p["balanceAmount"] == 900
        and len(p["cancels"] or []) == 3
    )
    assert {c["transactionKey"] for c in toss["cancels"]} == {r.provider_reference for r in refunds}
    last = [r["data"]["requestRefund"]["payment"]["refundedAmount"] for r in ok]
    assert max(last) == 9000


async def test_a_full_refund_ends_the_subscription(phone: Phone) -> None:
    paid = (await phone.subscribe())["payment"]
    r = await phone.gql(REFUND, {"input": {"paymentId": paid["id"], "reason": "changed my mind"}})
    assert "errors" not in r, r
    refund = r["data"]["requestRefund"]
    assert refund["amount"] == 9900 and refund["status"] == "DONE"
    assert refund["payment"] == {"id": paid["id"], "status": "REFUNDED", "refundedAmount": 9900}
    assert await phone.me("subscription { status } entitlements") == {
        "subscription": {"status": "CANCELED"},
        "entitlements": [],
    }
    again = await phone.gql(REFUND, {"input": {"paymentId": paid["id"], "amount": 1}})
    assert error_codes(again) == ["BAD_USER_INPUT"]


async def test_refunds_of_someone_elses_payment_are_not_found(
    phone: Phone, payment_settings: Settings
) -> None:
    paid = (await phone.subscribe())["payment"]
    other = another_phone(phone, payment_settings)
    r = await other.gql(REFUND, {"input": {"paymentId": paid["id"], "amount": 100}})
    assert error_codes(r) == ["NOT_FOUND"]
    for bad in (0, -5):
        r = await phone.gql(REFUND, {"input": {"paymentId": paid["id"], "amount": bad}})
        assert error_codes(r) == ["BAD_USER_INPUT"] and r["errors"][0]["extensions"]["field"] == "amount"
    admin = another_phone(phone, payment_settings)
    admin.token = token_for(payment_settings, admin.user_id, ["ADMIN"])
    r = await admin.gql(REFUND, {"input": {"paymentId": paid["id"], "amount": 100, "reason": "support case"}})
    assert "errors" not in r and r["data"]["requestRefund"]["payment"]["refundedAmount"] == 100
