"""Refunds (full and partial cancels at the provider): the refunded total never exceeds what was paid.

The payment row stays locked from the check to the commit, so concurrent requests for the same payment run
one after the other; the table's CHECK constraint (refunded <= amount) is the last word.
"""

from __future__ import annotations

import uuid

from libs.errors import BadUserInput
from subgraphs.payment import errors
from subgraphs.payment.domain import RefundStatus, payment_status
from subgraphs.payment.models import PaymentRow, RefundRow
from subgraphs.payment.providers import (
    AlreadyProcessed,
    PaymentDeclined,
    PaymentNotFound,
    ProviderError,
    ProviderPayment,
    ProviderRefused,
)
from subgraphs.payment.service.ledger import Ledger

MAX_REASON = 200


class Refunds(Ledger):
    async def request_refund(
        self, payment_id: str, amount: int | None, reason: str | None, *, user_id: str, staff: bool
    ) -> tuple[RefundRow, PaymentRow]:
        """`amount` None: whatever is left. The owner (or staff) only: anyone else's payment is NOT_FOUND."""
        reason = (reason or "").strip()[:MAX_REASON] or "customer request"
        payment = await self.repo.payment(payment_id, lock=True)
        if payment is None or (payment.user_id != user_id and not staff):
            raise errors.PaymentNotFound(payment_id)
        refundable = payment.amount - payment.refunded_amount
        if amount is None:
            amount = refundable
        if amount <= 0:
            if refundable == 0:
                raise errors.RefundTooLarge(0)
            raise BadUserInput("amount must be positive", field="amount")
        if amount > refundable:
            raise errors.RefundTooLarge(refundable)
        refund = RefundRow(
            id=str(uuid.uuid4()),
            payment_id=payment.id,
            user_id=payment.user_id,
            amount=amount,
            currency=payment.currency,
            reason=reason,
            status=RefundStatus.PENDING,
        )
        payment.refunded_amount += amount  # reserved now: a concurrent request sees it once we commit
        payment.status = payment_status(payment.amount, payment.refunded_amount)
        self.repo.add(refund)
        await self.repo.flush()
        try:
            after = await self.provider.cancel(
                payment.payment_key, amount=amount, reason=reason, idempotency_key=f"refund:{refund.id}"
            )
        except (PaymentDeclined, PaymentNotFound) as e:
            raise errors.RefundDeclined(e.code, e.message) from e  # rolls back: nothing reserved
        except ProviderRefused as e:
            raise errors.ProviderPaused(e.retry_after_s) from e  # not sent: rolls back the reservation
        except ProviderError as e:
            # Unknown outcome: the reservation stays (the error commits) and reconciliation asks again with
            # the same idempotency key, which the provider answers with this refund's result.
            raise errors.PaymentPending(
                "the refund is being checked with the payment provider", refundId=refund.id
            ) from e
        await self._record(refund, payment, after)
        return refund, payment

    async def _record(self, refund: RefundRow, payment: PaymentRow, after: ProviderPayment) -> None:
        refunds = await self.repo.refunds_of(payment.id)
        known = {r.provider_reference for r in refunds if r.provider_reference}
        mine = [c for c in after.cancels if c.reference not in known and c.amount == refund.amount]
        reference = mine[-1].reference if mine else f"{payment.payment_key}:{refund.id}"
        self.complete_refund(refund, payment, reference, await self._locale(payment.user_id))
        await self._after_refund(payment)

    async def retry_refund(self, refund_id: str) -> bool:
        """Reconciliation of a refund whose answer was lost: the same call with the same idempotency key."""
        refund = await self.repo.refund(refund_id)
        if refund is None:
            return False
        payment = await self.repo.payment(refund.payment_id, lock=True)
        refund = await self.repo.refund(refund_id, lock=True)
        if payment is None or refund is None or refund.status != RefundStatus.PENDING:
            return False
        try:
            after = await self.provider.cancel(
                payment.payment_key,
                amount=refund.amount,
                reason=refund.reason,
                idempotency_key=f"refund:{refund.id}",
            )
        except AlreadyProcessed:  # canceled meanwhile: what the provider lists settles it
            try:
                await self.sync_cancels(payment, await self.provider.payment(payment.payment_key))
            except ProviderError:
                return False
            return True
        except (PaymentDeclined, PaymentNotFound):
            # The provider refused it: give the reservation back.
            payment.refunded_amount -= refund.amount
            payment.status = payment_status(payment.amount, payment.refunded_amount)
            await self.repo.delete(refund)
            return True
        except ProviderError:
            return False
        await self._record(refund, payment, after)
        return True
