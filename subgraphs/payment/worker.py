"""The payment subgraph's background work: relay the outbox, renew subscriptions (and retry and expire
them), reconcile what the provider did not answer, handle webhooks.

Runs inside the subgraph process by default (PAYMENT_WORKERS=true) or as its own process (`manpasik worker
payment`); any number of copies may run: each subscription, order and webhook is claimed under a row lock
(SKIP LOCKED), and every charge carries an idempotency key of its period.
"""

from __future__ import annotations

import logging

from libs.events.workers import EventWorkers
from libs.polling import PollingLoop
from libs.time import utcnow
from subgraphs.payment.resources import PaymentResources
from subgraphs.payment.service import PaymentService

log = logging.getLogger("manpasik.payment.worker")

BATCH = 20
MAX_WEBHOOK_ATTEMPTS = 20


class PaymentWorkers(EventWorkers):
    name = "payment"

    def __init__(self, res: PaymentResources, **_: object) -> None:
        self.res = res
        own = res.own
        self.renewals = PollingLoop(
            self.renew_once, interval_s=own.renewal_interval_s, batch_size=BATCH, name="payment renewals"
        )
        self.reconciliation = PollingLoop(
            self.reconcile_once,
            interval_s=own.reconcile_interval_s,
            batch_size=BATCH,
            name="payment reconciliation",
        )
        self.webhooks = PollingLoop(
            self.webhooks_once, interval_s=5.0, batch_size=BATCH, name="payment webhooks"
        )
        res.on_webhook.append(self.webhooks.wake)
        super().__init__(
            consumers=[], loops=[res.relay.run, self.renewals.run, self.reconciliation.run, self.webhooks.run]
        )

    async def _publish(self, service: PaymentService) -> None:
        await self.res.relay.publish_now(service.outbox)  # committed: publish at once

    async def renew_once(self) -> int:
        """Up to BATCH due subscriptions, each in a unit of work of its own; returns how many."""
        done = 0
        while done < BATCH:
            async with self.res.db.write() as repo:
                service = PaymentService(repo, self.res.deps)
                if not await service.run_due(utcnow()):
                    break
            await self._publish(service)
            done += 1
        return done

    async def reconcile_once(self) -> int:
        now = utcnow()
        deps = self.res.deps
        async with self.res.db.read() as repo:
            orders = await repo.orders_to_reconcile(now - deps.reconcile_after, now - deps.order_ttl, BATCH)
            refunds = await repo.pending_refunds(now - deps.reconcile_after, BATCH)
        changed = 0
        for order_id in orders:
            async with self.res.db.write() as repo:
                service = PaymentService(repo, deps)
                changed += await service.reconcile_order(order_id, now)
            await self._publish(service)
        for refund_id in refunds:
            async with self.res.db.write() as repo:
                service = PaymentService(repo, deps)
                changed += await service.retry_refund(refund_id)
            await self._publish(service)
        if any(o.startswith("renew_") for o in orders):
            self.renewals.wake()  # a renewal charge that never arrived is due again
        return changed

    async def webhooks_once(self) -> int:
        handled = 0
        while handled < BATCH:
            async with self.res.db.write() as repo:
                rows = await repo.unhandled_webhooks(1)
                if not rows:
                    break
                row = rows[0]
                service = PaymentService(repo, self.res.deps)
                await service.handle_webhook(row)
                if row.handled_at is None and row.attempts >= MAX_WEBHOOK_ATTEMPTS:
                    log.error("webhook %s dropped after %d attempts", row.dedupe_key, row.attempts)
                    row.handled_at = utcnow()
                retry_later = row.handled_at is None
            await self._publish(service)
            if retry_later:
                break  # the provider is away: the next pass
            handled += 1
        return handled
