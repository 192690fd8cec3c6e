"""Subscriptions over time: two scheduler processes renew each period once; a declined renewal goes past due
and is retried on the dunning schedule, then expires; a new card recovers it; cancel at period end."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from libs.config import Settings
from libs.events.streams import SUBSCRIPTION_EXPIRED, SUBSCRIPTION_RENEWAL_FAILED, SUBSCRIPTION_RENEWED
from libs.time import as_utc, utcnow
from subgraphs.payment.models import InvoiceRow, OrderRow, PaymentOutbox, PaymentRow, SubscriptionRow
from subgraphs.payment.resources import PaymentResources
from subgraphs.payment.sandbox import TossSandbox
from subgraphs.payment.settings import PaymentSettings
from tests.subgraphs.payment.conftest import Phone, another_phone, in_unit

ROOT = Path(__file__).resolve().parents[3]


async def _sub(res: PaymentResources, user_id: str) -> SubscriptionRow:
    async with res.sessions() as s:
        return (
            await s.execute(select(SubscriptionRow).where(SubscriptionRow.user_id == user_id))
        ).scalar_one()  # type: ignore[arg-type]


async def _make_due(res: PaymentResources, user_id: str) -> None:
    """Time passes: the paid period is over (the scheduler's clock is the database's rows)."""
    async with res.db.write() as repo:
        sub = await repo.subscription_of(user_id)
        assert sub is not None
        past = utcnow() - timedelta(minutes=1)
        if sub.status == "ACTIVE":
            shift = as_utc(sub.current_period_end) - past
            sub.anchor_at = as_utc(sub.anchor_at) - shift
            sub.current_period_start = as_utc(sub.current_period_start) - shift
            sub.current_period_end = past
        sub.next_charge_at = past


async def _run_all_due(res: PaymentResources) -> None:
    while (await in_unit(res, "run_due"))[0]:
        pass


async def _events(res: PaymentResources, user_id: str) -> list[str]:
    async with res.sessions() as s:
        rows = (await s.execute(select(PaymentOutbox).order_by(PaymentOutbox.seq))).scalars()  # type: ignore[arg-type]
        return [r.event_type for r in rows if r.envelope["data"].get("userId") == user_id]


async def _subscriber(phone: Phone, card: str = "success") -> str:
    checkout = await phone.start()
    await phone.confirm(checkout, await phone.widget(checkout))
    await phone.register_card(checkout["customerKey"], card)
    return checkout["customerKey"]


async def test_two_scheduler_processes_renew_each_period_once(
    phone: Phone,
    payment: PaymentResources,
    payment_settings: Settings,
    payment_own: PaymentSettings,
    sandbox: TossSandbox,
) -> None:
    phones = [another_phone(phone, payment_settings) for _ in range(6)]
    for p in phones:
        await _subscriber(p)
        await _make_due(payment, p.user_id)
    env = dict(os.environ)
    env.update(
        MANPASIK_ENV="test",
        DATABASE_URL=str(payment_settings.database_url),
        DB_SUFFIX=payment_settings.db_suffix,
        REDIS_URL=payment_settings.redis_url,
        REDIS_PREFIX=payment_settings.redis_prefix,
        JWT_SECRET=payment_settings.jwt_secret,
        LOG_JSON="false",
        LOG_LEVEL="WARNING",
        PAYMENT_TOSS_API_URL=payment_own.toss_api_url,
        PAYMENT_TOSS_SECRET_KEY=payment_own.toss_secret_key,
        PAYMENT_RENEWAL_INTERVAL_S="0.05",
        PAYMENT_RECONCILE_INTERVAL_S="3600",
    )
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "manpasik",
            "worker",
            "payment",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    try:
        for _ in range(300):
            subs = [await _sub(payment, p.user_id) for p in phones]
            if all(s.period == 2 for s in subs) or any(p.returncode is not None for p in procs):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # both keep polling: a second charge would happen now
        assert all(p.returncode is None for p in procs), [(await p.communicate())[0] for p in procs]
    finally:
        for p in procs:
            if p.returncode is None:
                p.terminate()
        outputs = [(await p.communicate())[0].decode() for p in procs]
    assert all(s.period == 2 and s.status == "ACTIVE" for s in subs), (subs, outputs)
    async with payment.sessions() as s:
        for sub in subs:
            charges = sandbox.charges_for(f"renew_{sub.id.replace('-', '')}_")
            assert len(charges) == 1, charges  # one charge for period 2, whoever ran it
            orders = list(
                (await s.execute(select(OrderRow).where(OrderRow.subscription_id == sub.id))).scalars()
            )  # type: ignore[arg-type]
            assert [(o.period, o.status) for o in orders] == [(2, "PAID")]
            payments = list(
                (await s.execute(select(PaymentRow).where(PaymentRow.order_id == orders[0].id))).scalars()
            )  # type: ignore[arg-type]
            invoices = list(
                (await s.execute(select(InvoiceRow).where(InvoiceRow.payment_id == payments[0].id))).scalars()
            )  # type: ignore[arg-type]
            assert len(payments) == 1 and len(invoices) == 1
            assert as_utc(sub.current_period_end) > utcnow() + timedelta(days=27)
            assert (await _events(payment, sub.user_id)).count(SUBSCRIPTION_RENEWED) == 1


async def test_declined_renewals_follow_the_dunning_schedule_then_expire(
    phone: Phone,
    payment: PaymentResources,
    sandbox: TossSandbox,
) -> None:
    await _subscriber(phone, card="declined")
    attempts = []
    for _ in range(3):  # PAYMENT_DUNNING_RETRY_HOURS=1,2: two retries after the first failure
        await _make_due(payment, phone.user_id)
        before = utcnow()
        await _run_all_due(payment)
        sub = await _sub(payment, phone.user_id)
        attempts.append(
            (
                sub.status,
                sub.failed_attempts,
                None
                if sub.next_charge_at is None
                else round((as_utc(sub.next_charge_at) - before).total_seconds() / 3600),
            )
        )
    assert attempts == [("PAST_DUE", 1, 1), ("PAST_DUE", 2, 2), ("EXPIRED", 3, None)]
    events = await _events(payment, phone.user_id)
    assert events.count(SUBSCRIPTION_RENEWAL_FAILED) == 2 and events[-1] == SUBSCRIPTION_EXPIRED
    assert await phone.me("subscription { status } entitlements") == {
        "subscription": {"status": "EXPIRED"},
        "entitlements": [],
    }


async def test_a_new_card_recovers_a_past_due_subscription(phone: Phone, payment: PaymentResources) -> None:
    customer_key = await _subscriber(phone, card="declined")
    await _make_due(payment, phone.user_id)
    await _run_all_due(payment)
    assert (await _sub(payment, phone.user_id)).status == "PAST_DUE"
    me = await phone.me("subscription { status nextAttemptAt } entitlements")
    assert me["subscription"]["nextAttemptAt"] is not None
    assert me["entitlements"] != []  # features stay on while past due
    await phone.register_card(customer_key, "success")
    await _run_all_due(payment)
    sub = await _sub(payment, phone.user_id)
    assert (sub.status, sub.period, sub.failed_attempts) == ("ACTIVE", 2, 0)


async def test_cancel_at_period_end_keeps_the_plan_then_expires_without_a_charge(
    phone: Phone,
    payment: PaymentResources,
    sandbox: TossSandbox,
) -> None:
    await _subscriber(phone)
    fields = "id status cancelAtPeriodEnd currentPeriodEnd"
    cancel = 'mutation { cancelSubscription(reason: "too pricey") { ' + fields + " } }"
    first = await phone.gql(cancel)
    again = await phone.gql(cancel)
    assert first["data"]["cancelSubscription"]["cancelAtPeriodEnd"] is True
    assert first["data"]["cancelSubscription"]["status"] == "ACTIVE"
    assert again == first
    sub = await _sub(payment, phone.user_id)
    await _make_due(payment, phone.user_id)
    await _run_all_due(payment)
    assert (await _sub(payment, phone.user_id)).status == "EXPIRED"
    assert sandbox.charges_for(f"renew_{sub.id.replace('-', '')}_") == []
    none = await phone.gql("mutation { cancelSubscription { id } }")
    assert none["errors"][0]["extensions"]["code"] == "NOT_FOUND"
