"""The payment rules, on the repository of the caller's unit of work (a request's or a worker's); the
provider is called inside it, with the rows that money depends on locked until the one commit.

    checkout.py   plans, startCheckout, confirmPayment (amount decided and checked by the server)
    refunds.py    full and partial refunds, never more than was paid
    renewals.py   renewal scheduler, dunning, cancel at period end, expiry, card registration
    reconcile.py  timed-out confirms and charges, abandoned checkouts, webhooks (hints, re-fetched)
    ledger.py     what they share: recording a payment, subscription periods, invoices, refunds, events
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from libs.errors import BadUserInput
from libs.graphql.cursor import decode_cursor
from subgraphs.payment.models import InvoiceRow, PaymentMethodRow, PaymentRow, PlanRow, SubscriptionRow
from subgraphs.payment.service.checkout import Checkout
from subgraphs.payment.service.ledger import Confirmed, Outcome, PaymentDeps
from subgraphs.payment.service.reconcile import Reconciliation

__all__ = ["Checkout", "Confirmed", "Outcome", "Page", "PaymentDeps", "PaymentService"]

MAX_PAGE = 50


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[PaymentRow] | list[InvoiceRow]
    has_next: bool


class PaymentService(Reconciliation):
    async def plans(self) -> list[PlanRow]:
        return await self.repo.plans()

    async def plans_by_ids(self, ids: Sequence[str]) -> dict[str, PlanRow]:
        return await self.repo.plans_by_ids(ids)

    async def subscriptions(self, user_ids: Sequence[str]) -> dict[str, SubscriptionRow]:
        return await self.repo.subscriptions_of(user_ids)

    async def methods(self, user_ids: Sequence[str]) -> dict[str, PaymentMethodRow]:
        return await self.repo.methods_by_user(user_ids)

    async def payments_by_ids(self, ids: Sequence[str]) -> dict[str, PaymentRow]:
        return {p.id: p for p in await self.repo.payments_by_ids(ids)}

    @staticmethod
    def _check_first(first: int) -> None:
        if not 1 <= first <= MAX_PAGE:
            raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")

    async def latest_payments(self, user_ids: Sequence[str], first: int) -> dict[str, list[PaymentRow]]:
        self._check_first(first)
        out: dict[str, list[PaymentRow]] = {u: [] for u in user_ids}
        for row in await self.repo.latest_payments(user_ids, first + 1):
            out[row.user_id].append(row)
        return out

    async def latest_invoices(self, user_ids: Sequence[str], first: int) -> dict[str, list[InvoiceRow]]:
        self._check_first(first)
        out: dict[str, list[InvoiceRow]] = {u: [] for u in user_ids}
        for row in await self.repo.latest_invoices(user_ids, first + 1):
            out[row.user_id].append(row)
        return out

    async def payment_page(self, user_id: str, first: int, after: str) -> list[PaymentRow]:
        self._check_first(first)
        return await self.repo.latest_payments([user_id], first + 1, decode_cursor(after))

    async def invoice_page(self, user_id: str, first: int, after: str) -> list[InvoiceRow]:
        self._check_first(first)
        return await self.repo.latest_invoices([user_id], first + 1, decode_cursor(after))
