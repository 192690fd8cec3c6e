"""A circuit breaker that opens on an error *rate* over a rolling window (resilience4j / opossum style).

    breaker = CircuitBreaker("toss", BreakerSettings())
    async with breaker.guard() as call:      # raises BreakerOpen at once while open: nothing is sent
        r = await http.post(...)
        if r.status_code >= 500:
            call.failed()                    # a failure that is not an exception

CLOSED counts calls and failures in `window_s` (in 10 buckets); once at least `minimum_calls` were made
and `failure_rate` of them failed it turns OPEN and refuses every call for `reset_s`. Then it is HALF_OPEN:
`half_open_calls` trial calls go through (others are refused); a trial that succeeds closes it, one that
fails opens it for another `reset_s`. Results of calls admitted before a state change are ignored.

Why not a package: pybreaker, circuitbreaker, purgatory and aiobreaker all open after N *consecutive*
failures (none has a rate over a window, which the seed's "50% errors" asks for), and pybreaker's async
path needs Tornado, aiobreaker is unmaintained since 2021. Single-threaded (one asyncio loop), no locks;
the success path is a few attribute operations, since the router calls it on every subgraph fetch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType

BUCKETS = 10


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    failure_rate: float = 0.5  # opens when this share of the window's calls failed ...
    minimum_calls: int = 10  # ... and at least this many calls were made in it
    window_s: float = 10.0  # the rolling window
    reset_s: float = 30.0  # open this long, then half-open
    half_open_calls: int = 1  # trial calls let through at once while half-open
    enabled: bool = True  # False: never opens (counts nothing)

    def __post_init__(self) -> None:
        if not 0 < self.failure_rate <= 1:
            raise ValueError("failure_rate must be in (0, 1]")
        if self.minimum_calls < 1 or self.half_open_calls < 1:
            raise ValueError("minimum_calls and half_open_calls must be at least 1")
        if self.window_s <= 0 or self.reset_s < 0:
            raise ValueError("window_s must be > 0 and reset_s >= 0")


@dataclass(frozen=True, slots=True)
class BreakerStatus:
    """A read-only view (for /metrics, health pages, logs)."""

    name: str
    state: State
    calls: int  # in the current window (CLOSED only; 0 otherwise)
    failures: int
    retry_after_s: float  # until half-open (OPEN only)
    opened_total: int  # how often it has opened since start


class BreakerOpen(Exception):
    """Refused without calling: the breaker of `name` is open (for `retry_after_s` more seconds)."""

    def __init__(self, name: str, retry_after_s: float) -> None:
        super().__init__(f"circuit breaker for {name} is open")
        self.name = name
        self.retry_after_s = retry_after_s


StateListener = Callable[[str, State, State], None]  # (name, old, new)


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        settings: BreakerSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: StateListener | None = None,
    ) -> None:
        self.name = name
        self.settings = settings or BreakerSettings()
        self.clock = clock
        self.on_change = on_change
        self._state = State.CLOSED
        self._bucket_s = self.settings.window_s / BUCKETS
        self._epochs = [-1] * BUCKETS  # which bucket index each slot currently counts
        self._calls = [0] * BUCKETS
        self._failures = [0] * BUCKETS
        self._opened_at = 0.0
        self._trials = 0  # trial calls in flight while half-open
        self.opened_total = 0

    # -- reading -----------------------------------------------------------------------------------------
    @property
    def state(self) -> State:
        """OPEN turns HALF_OPEN here once `reset_s` has passed, so readers see what a call would meet."""
        if self._state is State.OPEN and self.clock() - self._opened_at >= self.settings.reset_s:
            self._move(State.HALF_OPEN)
        return self._state

    def status(self) -> BreakerStatus:
        state = self.state
        calls, failures = self._totals() if state is State.CLOSED else (0, 0)
        retry = self._opened_at + self.settings.reset_s - self.clock() if state is State.OPEN else 0.0
        retry = max(0.0, retry)
        return BreakerStatus(self.name, state, calls, failures, retry, self.opened_total)

    # -- the protocol: before_call, then exactly one of success / failure / release -----------------------
    def before_call(self) -> bool:
        """Raises BreakerOpen, or admits the call; True when it is a half-open trial."""
        if self._state is State.CLOSED:
            return False
        state = self.state
        if state is State.OPEN:
            raise BreakerOpen(self.name, self._opened_at + self.settings.reset_s - self.clock())
        if self._trials >= self.settings.half_open_calls:
            raise BreakerOpen(self.name, 0.0)
        self._trials += 1
        return True

    def success(self, trial: bool = False) -> None:
        if trial:
            self._trials -= 1
            if self._state is State.HALF_OPEN:
                self._close()
        elif self._state is State.CLOSED and self.settings.enabled:
            self._count(0)

    def failure(self, trial: bool = False) -> None:
        if trial:
            self._trials -= 1
            if self._state is State.HALF_OPEN:
                self._open()
        elif self._state is State.CLOSED and self.settings.enabled:
            self._count(1)
            calls, failures = self._totals()
            if calls >= self.settings.minimum_calls and failures >= self.settings.failure_rate * calls:
                self._open()

    def release(self, trial: bool = False) -> None:
        """The call ended without an answer either way (cancelled): only frees a trial slot."""
        if trial:
            self._trials -= 1

    def guard(self, counts: tuple[type[Exception], ...] = (Exception,)) -> Guard:
        """`async with` (or `with`) block: an exception of `counts` leaving it is a failure (another one is
        an answer: a success); `call.failed()` marks one without raising; cancellation counts as neither."""
        return Guard(self, counts)

    # -- state -------------------------------------------------------------------------------------------
    def _count(self, failed: int) -> None:
        epoch = int(self.clock() / self._bucket_s)
        slot = epoch % BUCKETS
        if self._epochs[slot] != epoch:
            self._epochs[slot] = epoch
            self._calls[slot] = 0
            self._failures[slot] = 0
        self._calls[slot] += 1
        self._failures[slot] += failed

    def _totals(self) -> tuple[int, int]:
        oldest = int(self.clock() / self._bucket_s) - BUCKETS
        calls = failures = 0
        for slot, epoch in enumerate(self._epochs):
            if epoch > oldest:
                calls += self._calls[slot]
                failures += self._failures[slot]
        return calls, failures

    def _open(self) -> None:
        self._opened_at = self.clock()
        self._trials = 0
        self.opened_total += 1
        self._move(State.OPEN)

    def _close(self) -> None:
        self._epochs = [-1] * BUCKETS
        self._trials = 0
        self._move(State.CLOSED)

    def _move(self, new: State) -> None:
        old, self._state = self._state, new
        if old is not new and self.on_change is not None:
            self.on_change(self.name, old, new)


class Guard:
    __slots__ = ("_failed", "breaker", "counts", "trial")

    def __init__(self, breaker: CircuitBreaker, counts: tuple[type[Exception], ...] = (Exception,)) -> None:
        self.breaker = breaker
        self.counts = counts
        self.trial = False
        self._failed = False

    def failed(self) -> None:
        self._failed = True

    def __enter__(self) -> Guard:
        self.trial = self.breaker.before_call()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is not None and not issubclass(kind, Exception):
            self.breaker.release(self.trial)  # cancelled, interrupted: no verdict on the provider
        elif self._failed or (kind is not None and issubclass(kind, self.counts)):
            self.breaker.failure(self.trial)
        else:
            self.breaker.success(self.trial)

    async def __aenter__(self) -> Guard:
        return self.__enter__()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(kind, exc, tb)
