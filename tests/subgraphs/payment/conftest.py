"""The payment subgraph for the session: the local Toss sandbox on a free port (the only fake: Toss is a third
party we cannot reach), the subgraph's stores, its app served without workers, and the steps a phone takes."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from libs.auth.tokens import issue_access_token
from libs.config import Settings
from libs.testing import free_port, running_app
from libs.testing.graphql import gql
from subgraphs.payment.app import WEBHOOK_PATH, create_app
from subgraphs.payment.resources import PaymentResources, open_resources
from subgraphs.payment.sandbox import TossSandbox
from subgraphs.payment.service import PaymentService
from subgraphs.payment.settings import PaymentSettings

EVENTS_PREFIX = "pay:"  # our own Redis key space: no other suite's workers take our events
SECRET_KEY = "test_sk_" + secrets.token_hex(12)
APP_PORT = free_port()


@pytest.fixture(scope="session")
async def sandbox() -> AsyncIterator[TossSandbox]:
    port = free_port()
    fake = TossSandbox(secret_key=SECRET_KEY, webhook_url=None)  # tests post webhooks themselves
    async with running_app(fake.app(), port=port):
        fake.base_url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
        yield fake


@pytest.fixture(scope="session")
def payment_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"redis_prefix": settings.redis_prefix + EVENTS_PREFIX})


@pytest.fixture(scope="session")
def payment_own(sandbox: TossSandbox) -> PaymentSettings:
    return PaymentSettings(
        workers=False,
        toss_api_url=sandbox.base_url,  # type: ignore[attr-defined]
        toss_secret_key=SECRET_KEY,
        toss_timeout_s=1.0,
        reconcile_after_s=0.0,
        dunning_retry_hours="1,2",
    )


@pytest.fixture(scope="session")
async def payment(
    payment_settings: Settings, payment_own: PaymentSettings
) -> AsyncIterator[PaymentResources]:
    async with open_resources(payment_settings, payment_own) as res:
        yield res


@pytest.fixture(scope="session")
async def payment_url(
    payment_settings: Settings, payment_own: PaymentSettings, payment: PaymentResources
) -> AsyncIterator[str]:
    async with running_app(create_app(payment_settings, payment_own), port=APP_PORT) as base:
        yield base


def token_for(settings: Settings, user_id: str, roles: list[str] | None = None) -> str:
    return issue_access_token(settings, user_id, roles or ["USER"], secrets.token_hex(8))[0]


def new_user() -> str:
    return str(uuid.uuid4())


START = (
    "mutation($plan: ID!) { startCheckout(planId: $plan) { orderId orderName amount currency customerKey } }"
)
CONFIRM = """mutation($input: ConfirmPaymentInput!) { confirmPayment(input: $input) {
  payment { id status amount currency method approvedAt refundedAmount }
  subscription { id plan status currentPeriodEnd cancelAtPeriodEnd } } }"""
REFUND = """mutation($input: RequestRefundInput!) { requestRefund(input: $input) {
  id status amount payment { id status refundedAmount } } }"""


@dataclass
class Phone:
    """One user's app: GraphQL to the payment subgraph, and the payment widget (the sandbox's checkout)."""

    url: str
    sandbox_url: str
    user_id: str
    token: str
    locale: str = "ko-KR"

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await gql(
            self.url + "/graphql",
            query,
            variables,
            token=self.token,
            headers={"accept-language": self.locale},
        )

    async def me(self, fields: str) -> dict[str, Any]:
        """The user's own payment fields, as the router asks for them (`_entities` on User)."""
        query = (
            "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { " + fields + " } } }"
        )
        r = await self.gql(query, {"reps": [{"__typename": "User", "id": self.user_id}]})
        assert "errors" not in r, r
        return dict(r["data"]["_entities"][0])

    async def start(self, plan: str = "premium-monthly") -> dict[str, Any]:
        r = await self.gql(START, {"plan": plan})
        assert "errors" not in r, r
        return dict(r["data"]["startCheckout"])

    async def widget(self, order: dict[str, Any], card: str = "success", amount: int | None = None) -> str:
        """What the Toss widget does on the phone: authenticates the card, hands back a paymentKey."""
        async with httpx.AsyncClient() as client:
            r = await client.post(
                self.sandbox_url + "/v1/sandbox/checkout",
                json={
                    "orderId": order["orderId"],
                    "amount": order["amount"] if amount is None else amount,
                    "card": card,
                    "orderName": order["orderName"],
                },
            )
        return str(r.json()["paymentKey"])

    async def confirm(
        self, order: dict[str, Any], payment_key: str, amount: int | None = None
    ) -> dict[str, Any]:
        return await self.gql(
            CONFIRM,
            {
                "input": {
                    "orderId": order["orderId"],
                    "paymentKey": payment_key,
                    "amount": order["amount"] if amount is None else amount,
                }
            },
        )

    async def subscribe(self, plan: str = "premium-monthly") -> dict[str, Any]:
        order = await self.start(plan)
        r = await self.confirm(order, await self.widget(order))
        assert "errors" not in r, r
        return dict(r["data"]["confirmPayment"])

    async def register_card(self, customer_key: str, card: str = "success") -> dict[str, Any]:
        async with httpx.AsyncClient() as client:
            auth = (
                await client.post(
                    self.sandbox_url + "/v1/sandbox/billing-auth",
                    json={"customerKey": customer_key, "card": card},
                )
            ).json()
        r = await self.gql(
            "mutation($k: String!) { registerPaymentMethod(authKey: $k) "
            "{ cardCompany cardNumber renewsAutomatically } }",
            {"k": auth["authKey"]},
        )
        assert "errors" not in r, r
        return dict(r["data"]["registerPaymentMethod"])


@pytest.fixture
def phone(payment_url: str, sandbox: TossSandbox, payment_settings: Settings) -> Phone:
    user = new_user()
    return Phone(payment_url, sandbox.base_url, user, token_for(payment_settings, user))  # type: ignore[attr-defined]


def another_phone(phone: Phone, settings: Settings, locale: str = "ko-KR") -> Phone:
    user = new_user()
    return Phone(phone.url, phone.sandbox_url, user, token_for(settings, user), locale)


async def post_webhook(url: str, body: dict[str, Any] | bytes) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        if isinstance(body, bytes):
            return await client.post(url + WEBHOOK_PATH, content=body)
        return await client.post(url + WEBHOOK_PATH, json=body)


async def in_unit(
    res: PaymentResources, method: str, *args: Any, **kwargs: Any
) -> tuple[Any, PaymentService]:
    """Calls a service method as a worker does: in a unit of work of its own, committed when it returns."""
    async with res.db.write() as repo:
        service = PaymentService(repo, res.deps)
        result = await getattr(service, method)(*args, **kwargs)
    return result, service
