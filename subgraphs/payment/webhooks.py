"""`POST /webhooks/toss`: the provider's events, answered at once. Payment webhooks are not signed, so a
delivery is stored (deduplicated) as a hint and the worker re-fetches the payment it names and reconciles."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from subgraphs.payment.resources import PaymentResources
from subgraphs.payment.service import PaymentService

log = logging.getLogger("manpasik.payment.webhooks")
MAX_BODY = 64 * 1024


def webhook_endpoint(resources: Callable[[], PaymentResources | None]) -> Callable[[Request], object]:
    async def receive(request: Request) -> JSONResponse:
        res = resources()
        if res is None:
            return JSONResponse({"status": "starting"}, status_code=503)  # the provider retries
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"status": "too large"}, status_code=413)
        hint = res.deps.provider.webhook_hint(body, request.headers)
        if hint is None:
            return JSONResponse({"status": "not a webhook"}, status_code=400)
        try:
            async with res.db.write() as repo:
                new = await PaymentService(repo, res.deps).receive_webhook(hint)
        except IntegrityError:
            new = False  # the same delivery, twice at once
        if new:
            res.webhook_wake()
        return JSONResponse({"status": "received" if new else "duplicate"})

    return receive
