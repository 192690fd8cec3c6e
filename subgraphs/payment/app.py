"""The payment subgraph (port 8004): plans, checkout, subscriptions, refunds, invoices; and the provider's
webhooks at `POST /webhooks/toss`. Run: `manpasik subgraph payment`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from libs.config import Settings, get_settings
from libs.graphql.app import create_subgraph_app
from subgraphs.payment.context import PaymentContext
from subgraphs.payment.resources import PaymentResources, open_resources
from subgraphs.payment.schema import schema
from subgraphs.payment.settings import PaymentSettings
from subgraphs.payment.webhooks import webhook_endpoint
from subgraphs.payment.worker import PaymentWorkers

WEBHOOK_PATH = "/webhooks/toss"


def create_app(settings: Settings | None = None, own: PaymentSettings | None = None) -> FastAPI:
    own = own or PaymentSettings()
    opened: dict[str, PaymentResources] = {}  # for the webhook route, which lives beside GraphQL

    @asynccontextmanager
    async def resources(s: Settings) -> AsyncIterator[PaymentResources]:
        async with open_resources(s, own) as res:
            opened["res"] = res
            try:
                yield res
            finally:
                opened.pop("res", None)

    app = create_subgraph_app(
        "payment",
        schema,
        resources,
        settings=settings or get_settings(),
        context_class=PaymentContext,
        workers=PaymentWorkers if own.workers else None,
    )
    app.add_api_route(
        WEBHOOK_PATH, webhook_endpoint(lambda: opened.get("res")), methods=["POST"], include_in_schema=False
    )
    return app
