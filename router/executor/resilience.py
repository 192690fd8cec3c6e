"""Per-subgraph circuit breakers and retries around every subgraph fetch.

Every HTTP try is one call of the subgraph's breaker (`resilience.CircuitBreaker`): connection errors,
timeouts and 5xx count as failures; an open breaker refuses at once (`CIRCUIT_OPEN`, nothing is sent).
Idempotent fetches (the fetches of a query or subscription, never of a mutation) get `query_timeout_s` and
are retried on transient failures only (never on GraphQL errors in a 200) with full-jitter exponential
backoff, at most `retry_attempts` tries in all and none starting after `retry_budget_s`, nor running past it.

The first try runs outside tenacity: AsyncRetrying costs ~60 us per call (measured), which every query
fetch would pay; only a fetch that already failed enters it, with that failure as tenacity's first attempt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from resilience import BreakerOpen, Breakers, BreakerSettings, CircuitBreaker
from resilience.breaker import StateListener
from router.executor.fetch_errors import CIRCUIT_OPEN, SubgraphFetchError

A = TypeVar("A")
# One HTTP try: (timeout in seconds, or None for the transport's default; the request) -> response bytes.
Once = Callable[[float | None, A], Awaitable[bytes]]


@dataclass(frozen=True)
class ResilienceSettings:
    breaker: BreakerSettings = field(default_factory=BreakerSettings)
    query_timeout_s: float = 3.0  # idempotent fetches (the seed's 3 s); mutations keep the fetch timeout
    retry_attempts: int = 3  # tries in all, the first included; 1 turns retries off
    retry_budget_s: float = 5.0  # from the first try's start
    retry_base_s: float = 0.05  # backoff before try n: uniform(0, min(retry_max_s, base * 2 ** (n - 2)))
    retry_max_s: float = 0.5

    def __post_init__(self) -> None:
        if self.query_timeout_s <= 0 or self.retry_attempts < 1 or self.retry_budget_s < 0:
            raise ValueError("query timeout must be > 0, retry attempts >= 1, retry budget >= 0")


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, SubgraphFetchError) and exc.transient


class FetchPolicy:
    def __init__(self, settings: ResilienceSettings | None = None, on_change: StateListener | None = None):
        self.settings = settings or ResilienceSettings()
        self.breakers = Breakers(self.settings.breaker, on_change=on_change)

    async def call(self, service: str, idempotent: bool, once: Once[A], request: A) -> bytes:
        breaker = self.breakers.get(service)
        trial = _admit(breaker, service)
        timeout = self.settings.query_timeout_s if idempotent else None
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            data = await once(timeout, request)
        except SubgraphFetchError as exc:
            _verdict(breaker, trial, exc)
            if idempotent and exc.transient and self.settings.retry_attempts > 1:
                return await self._retry(service, breaker, once, request, exc, started)
            return _give_up(exc)
        except BaseException:
            breaker.release(trial)
            raise
        breaker.success(trial)
        return data

    async def _retry(
        self,
        service: str,
        breaker: CircuitBreaker,
        once: Once[A],
        request: A,
        first: SubgraphFetchError,
        started: float,
    ) -> bytes:
        s = self.settings
        loop = asyncio.get_running_loop()
        deadline = started + s.retry_budget_s
        failed: SubgraphFetchError | None = first
        retrying = AsyncRetrying(
            stop=stop_after_attempt(s.retry_attempts) | stop_before_delay(max(0.0, deadline - loop.time())),
            wait=wait_random_exponential(multiplier=s.retry_base_s, max=s.retry_max_s),
            retry=retry_if_exception(_transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    if failed is not None:  # the try already made is tenacity's first attempt
                        exc, failed = failed, None
                        raise exc
                    remaining = deadline - loop.time()
                    trial = _admit(breaker, service)
                    try:
                        data = await once(min(s.query_timeout_s, max(remaining, 0.001)), request)
                    except SubgraphFetchError as e:
                        _verdict(breaker, trial, e)
                        raise
                    except BaseException:
                        breaker.release(trial)
                        raise
                    breaker.success(trial)
                    return data
        except SubgraphFetchError as exc:
            return _give_up(exc)
        raise AssertionError("unreachable: tenacity reraises the last failure")  # pragma: no cover


def _admit(breaker: CircuitBreaker, service: str) -> bool:
    try:
        return breaker.before_call()
    except BreakerOpen as exc:
        raise SubgraphFetchError(
            service, "circuit breaker is open", CIRCUIT_OPEN, retry_after_s=max(0.0, exc.retry_after_s)
        ) from None


def _verdict(breaker: CircuitBreaker, trial: bool, exc: SubgraphFetchError) -> None:
    if exc.transient:
        breaker.failure(trial)
    else:
        breaker.success(trial)  # it answered, just not with GraphQL: alive


def _give_up(exc: SubgraphFetchError) -> bytes:
    if exc.body is not None:  # a 5xx with a GraphQL body: its errors are the best answer there is
        return exc.body
    raise exc
