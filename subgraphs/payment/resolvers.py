"""Root fields: parse, then a unit of work and the service. The provider is called inside the unit of work,
so what it answers and what we record commit together."""

from __future__ import annotations

import re

import strawberry

from libs.auth.fields import authenticated
from libs.auth.viewer import Role
from subgraphs.payment.context import Info
from subgraphs.payment.service import PaymentService
from subgraphs.payment.types import (
    Checkout,
    ConfirmPaymentInput,
    ConfirmPaymentResult,
    Payment,
    PaymentMethod,
    Plan,
    PlanSubscription,
    Refund,
    RequestRefundInput,
)

LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")


def _viewer_id(info: Info) -> str:
    return str(info.context.viewer.user_id)  # set: the field is `authenticated()`


def _locale(info: Info) -> str | None:
    """The app's language (Accept-Language, forwarded by the router): notifications are worded in it."""
    request = getattr(info.context, "request", None)
    header = request.headers.get("accept-language", "") if request is not None else ""
    tag = header.split(",")[0].split(";")[0].strip()
    return tag[:35] if LANGUAGE_TAG.match(tag) else None


def _service(info: Info, repo: object) -> PaymentService:
    return PaymentService(repo, info.context.resources.deps)  # type: ignore[arg-type]


@strawberry.type
class Query:
    @strawberry.field(description="the plans on sale, cheapest interval first")
    async def plans(self, info: Info) -> list[Plan]:
        async with info.context.read() as repo:
            rows = await _service(info, repo).plans()
        return [Plan(row=r) for r in rows]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="an order for the payment widget; the server decides the amount",
        extensions=[authenticated()],
    )
    async def start_checkout(self, info: Info, plan_id: strawberry.ID) -> Checkout:
        async with info.context.unit_of_work() as repo:
            c = await _service(info, repo).start_checkout(_viewer_id(info), str(plan_id), _locale(info))
        return Checkout(
            order_id=strawberry.ID(c.order.id),
            order_name=c.order.order_name,
            amount=c.order.amount,
            currency=c.order.currency,
            customer_key=c.customer_key,
        )

    @strawberry.mutation(
        description="confirms the widget's payment with the provider; idempotent per orderId",
        extensions=[authenticated()],
    )
    async def confirm_payment(self, info: Info, input: ConfirmPaymentInput) -> ConfirmPaymentResult:
        async with info.context.unit_of_work() as repo:
            done = await _service(info, repo).confirm(
                _viewer_id(info), str(input.order_id), input.payment_key, input.amount
            )
        sub = None if done.subscription is None else PlanSubscription(row=done.subscription)
        return ConfirmPaymentResult(payment=Payment(row=done.payment), subscription=sub)

    @strawberry.mutation(
        description="stops renewals; the plan stays until the paid period ends", extensions=[authenticated()]
    )
    async def cancel_subscription(self, info: Info, reason: str | None = None) -> PlanSubscription:
        async with info.context.unit_of_work() as repo:
            row = await _service(info, repo).cancel_subscription(_viewer_id(info), reason)
        return PlanSubscription(row=row)

    @strawberry.mutation(
        description="refunds all or part of one of the viewer's payments (admins: anyone's)",
        extensions=[authenticated()],
    )
    async def request_refund(self, info: Info, input: RequestRefundInput) -> Refund:
        viewer = info.context.viewer
        async with info.context.unit_of_work() as repo:
            refund, payment = await _service(info, repo).request_refund(
                str(input.payment_id),
                input.amount,
                input.reason,
                user_id=_viewer_id(info),
                staff=viewer.has_role(Role.ADMIN),
            )
        return Refund(row=refund, payment_row=payment)

    @strawberry.mutation(
        description="registers the card of the billing-auth widget (its authKey) for renewals",
        extensions=[authenticated()],
    )
    async def register_payment_method(self, info: Info, auth_key: str) -> PaymentMethod:
        async with info.context.unit_of_work() as repo:
            row = await _service(info, repo).register_card(_viewer_id(info), auth_key)
        return PaymentMethod.from_row(row)
