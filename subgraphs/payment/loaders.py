"""Per-request DataLoaders: one store query per batch, whatever the number of users asked for."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from strawberry.dataloader import DataLoader

from subgraphs.payment.context import PaymentContext
from subgraphs.payment.models import InvoiceRow, PaymentMethodRow, PaymentRow, PlanRow, SubscriptionRow
from subgraphs.payment.service import PaymentService

T = TypeVar("T")


def _batched(ctx: PaymentContext, name: str,
             fetch: Callable[[PaymentService, Sequence[str]], Awaitable[Mapping[str, T]]],
             ) -> DataLoader[str, T | None]:
    return ctx.batch_loader(name, lambda repo, keys: fetch(PaymentService(repo, ctx.resources.deps), keys),
                            lambda: None)


def subscriptions(ctx: PaymentContext) -> DataLoader[str, SubscriptionRow | None]:
    return _batched(ctx, "subscriptions", PaymentService.subscriptions)


def plans(ctx: PaymentContext) -> DataLoader[str, PlanRow | None]:
    return _batched(ctx, "plans", PaymentService.plans_by_ids)


def payments(ctx: PaymentContext) -> DataLoader[str, PaymentRow | None]:
    return _batched(ctx, "payments", PaymentService.payments_by_ids)


def methods(ctx: PaymentContext) -> DataLoader[str, PaymentMethodRow | None]:
    return _batched(ctx, "methods", PaymentService.methods)


def _by_first(keys: Sequence[tuple[str, int]]) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = defaultdict(list)
    for user_id, first in keys:
        groups[first].append(user_id)
    return groups


def latest_payments(ctx: PaymentContext) -> DataLoader[tuple[str, int], list[PaymentRow]]:
    """Keyed by (user id, first): `first + 1` rows each (the extra one says whether a next page exists)."""

    async def load(keys: Sequence[tuple[str, int]]) -> list[list[PaymentRow]]:
        found: dict[tuple[str, int], list[PaymentRow]] = {}
        async with ctx.read() as repo:
            service = PaymentService(repo, ctx.resources.deps)
            for first, users in _by_first(keys).items():
                rows = await service.latest_payments(users, first)
                found.update({(u, first): rows[u] for u in users})
        return [found[k] for k in keys]

    return ctx.loader("latest_payments", lambda: DataLoader(load))


def latest_invoices(ctx: PaymentContext) -> DataLoader[tuple[str, int], list[InvoiceRow]]:
    async def load(keys: Sequence[tuple[str, int]]) -> list[list[InvoiceRow]]:
        found: dict[tuple[str, int], list[InvoiceRow]] = {}
        async with ctx.read() as repo:
            service = PaymentService(repo, ctx.resources.deps)
            for first, users in _by_first(keys).items():
                rows = await service.latest_invoices(users, first)
                found.update({(u, first): rows[u] for u in users})
        return [found[k] for k in keys]

    return ctx.loader("latest_invoices", lambda: DataLoader(load))
