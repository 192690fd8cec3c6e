"""The payment subgraph's request context: viewer, resources, loaders, units of work over its repository."""

from __future__ import annotations

import strawberry

from libs.graphql.context import StoreContext
from subgraphs.payment.repository import PaymentRepository
from subgraphs.payment.resources import PaymentResources


class PaymentContext(StoreContext[PaymentResources, PaymentRepository]):
    pass


Info = strawberry.Info[PaymentContext, None]
