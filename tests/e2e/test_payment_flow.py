"""Seed scenario 3 through the router, with the app's own operations: plans, checkout, the Toss widget (the
sandbox), confirm (twice), billing, a partial refund, cancel; the user is notified in their language."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import httpx

from libs.testing.graphql import error_codes, gql
from tests.e2e.conftest import Stack, contract_operation


async def sign_up(stack: Stack, locale: str) -> str:
    r = await gql(
        stack.url,
        contract_operation("SignUp"),
        {
            "input": {
                "email": f"pay-{secrets.token_hex(4)}@example.com",
                "password": "correct horse battery staple",
                "displayName": "Min",
                "locale": locale,
            }
        },
    )
    assert "errors" not in r, r
    return str(r["data"]["signUp"]["tokens"]["accessToken"])


async def subscribe(stack: Stack, token: str, locale: str = "ko-KR") -> dict[str, Any]:
    """StartCheckout, the widget's payment at the sandbox, ConfirmPayment: what the app does to subscribe."""
    headers = {"accept-language": locale}
    started = await gql(
        stack.url,
        contract_operation("StartCheckout"),
        {"planId": "premium-monthly"},
        token=token,
        headers=headers,
    )
    assert "errors" not in started, started
    order = started["data"]["startCheckout"]
    async with httpx.AsyncClient() as client:
        widget = await client.post(
            f"{stack.toss_url}/v1/sandbox/checkout",
            json={"orderId": order["orderId"], "amount": order["amount"], "card": "success"},
        )
    confirm = {
        "input": {
            "orderId": order["orderId"],
            "paymentKey": widget.json()["paymentKey"],
            "amount": order["amount"],
        }
    }
    done = await gql(stack.url, contract_operation("ConfirmPayment"), confirm, token=token, headers=headers)
    assert "errors" not in done, done
    again = await gql(stack.url, contract_operation("ConfirmPayment"), confirm, token=token, headers=headers)
    assert again == done  # idempotent per order
    return {"order": order, **done["data"]["confirmPayment"]}


async def test_subscribe_refund_cancel_and_be_told_in_english(stack: Stack) -> None:
    token = await sign_up(stack, "en-US")
    plans = await gql(stack.url, contract_operation("Plans"))
    monthly = next(p for p in plans["data"]["plans"] if p["id"] == "premium-monthly")
    assert (monthly["price"], monthly["currency"], monthly["interval"]) == (9900, "KRW", "MONTH")

    paid = await subscribe(stack, token, "en-US")
    assert paid["order"]["amount"] == 9900
    assert paid["payment"]["status"] == "PAID" and paid["subscription"]["status"] == "ACTIVE"
    assert (
        len(
            [k for k in stack.toss.approvals if stack.toss.payments[k]["orderId"] == paid["order"]["orderId"]]
        )
        == 1
    )

    refund = await gql(
        stack.url,
        contract_operation("RequestRefund"),
        {"input": {"paymentId": paid["payment"]["id"], "amount": 1900, "reason": "partial"}},
        token=token,
    )
    assert refund["data"]["requestRefund"]["payment"] == {
        "id": paid["payment"]["id"],
        "status": "PARTIALLY_REFUNDED",
        "refundedAmount": 1900,
    }

    canceled = await gql(
        stack.url, contract_operation("CancelSubscription"), {"reason": "trying it out"}, token=token
    )
    assert canceled["data"]["cancelSubscription"]["cancelAtPeriodEnd"] is True

    billing = await gql(stack.url, contract_operation("Billing"), token=token)
    assert "errors" not in billing, billing
    me = billing["data"]["me"]
    assert me["subscription"]["status"] == "ACTIVE" and me["subscription"]["cancelAtPeriodEnd"] is True
    [payment] = [e["node"] for e in me["payments"]["edges"]]
    assert (payment["amount"], payment["refundedAmount"], payment["currency"]) == (9900, 1900, "KRW")
    [invoice] = [e["node"] for e in me["invoices"]["edges"]]
    assert invoice["number"].startswith("MPS-") and invoice["status"] == "PARTIALLY_REFUNDED"

    seen: dict[str, str] = {}
    for _ in range(200):  # payment -> outbox -> stream -> notification worker
        r = await gql(stack.url, contract_operation("Notifications"), {"first": 20}, token=token)
        seen = {e["node"]["type"]: e["node"]["body"] for e in r["data"]["me"]["notifications"]["edges"]}
        if {"PAYMENT_SUCCEEDED", "PAYMENT_REFUNDED"} <= set(seen):
            break
        await asyncio.sleep(0.1)
    assert seen.get("PAYMENT_SUCCEEDED") == "Your payment of KRW 9,900 went through.", seen
    assert seen.get("PAYMENT_REFUNDED") == "A refund of KRW 1,900 has been issued.", seen


async def test_someone_else_cannot_read_or_refund_my_payments(stack: Stack) -> None:
    mine, theirs = await sign_up(stack, "ko-KR"), await sign_up(stack, "ko-KR")
    paid = await subscribe(stack, mine)
    refund = await gql(
        stack.url,
        contract_operation("RequestRefund"),
        {"input": {"paymentId": paid["payment"]["id"], "amount": 100}},
        token=theirs,
    )
    assert error_codes(refund) == ["NOT_FOUND"]
    their_billing = await gql(stack.url, contract_operation("Billing"), token=theirs)
    assert their_billing["data"]["me"]["subscription"] is None
    assert their_billing["data"]["me"]["payments"]["edges"] == []
    # Asked straight at the subgraph, my user's fields stay mine.
    entities = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { subscription { id } "
        "entitlements payments(first: 5) { edges { node { id } } } } } }"
    )
    me_id = (await gql(stack.url, "{ me { id } }", token=mine))["data"]["me"]["id"]
    direct = await gql(
        stack.subgraphs["payment"], entities, {"r": [{"__typename": "User", "id": me_id}]}, token=theirs
    )
    assert set(error_codes(direct)) == {"FORBIDDEN"} and direct["data"]["_entities"][0] is None
