"""The circuit breaker's rules, on a clock the test moves (time is its only input besides the calls)."""

from __future__ import annotations

import asyncio

import pytest

from resilience import BreakerOpen, Breakers, BreakerSettings, CircuitBreaker, State

SEED = BreakerSettings(failure_rate=0.5, minimum_calls=4, window_s=10.0, reset_s=30.0)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def breaker(settings: BreakerSettings = SEED) -> tuple[CircuitBreaker, Clock, list[tuple[State, State]]]:
    clock = Clock()
    changes: list[tuple[State, State]] = []
    b = CircuitBreaker(
        "svc", settings, clock=clock, on_change=lambda _n, old, new: changes.append((old, new))
    )
    return b, clock, changes


def calls(b: CircuitBreaker, outcomes: str) -> None:
    """'s' a success, 'f' a failure."""
    for o in outcomes:
        trial = b.before_call()
        (b.success if o == "s" else b.failure)(trial)


def test_opens_at_the_failure_rate_once_enough_calls_were_made() -> None:
    b, _, changes = breaker()
    calls(b, "fff")  # 100% failed, but fewer than minimum_calls
    assert b.state is State.CLOSED
    calls(b, "f")
    assert b.state is State.OPEN and changes == [(State.CLOSED, State.OPEN)]
    with pytest.raises(BreakerOpen) as refused:
        b.before_call()
    assert refused.value.name == "svc" and 29.9 < refused.value.retry_after_s <= 30.0


def test_below_the_rate_it_stays_closed() -> None:
    b, _, _ = breaker()
    calls(b, "ssfsfss")  # 2 of 7 (and never 50% once 4 calls were made)
    assert b.state is State.CLOSED
    calls(b, "fff")  # 5 of 10
    assert b.state is State.OPEN


def test_failures_leave_the_rolling_window() -> None:
    b, clock, _ = breaker()
    calls(b, "fff")
    clock.now += 11  # the window is 10 s: those three are forgotten
    calls(b, "sss")
    calls(b, "f")
    assert b.state is State.CLOSED
    assert b.status().calls == 4 and b.status().failures == 1


def test_half_open_after_the_reset_time_then_a_trial_decides() -> None:
    b, clock, changes = breaker()
    calls(b, "ffff")
    clock.now += 29.9
    assert b.state is State.OPEN and 0 < b.status().retry_after_s < 0.2
    clock.now += 0.1
    assert b.state is State.HALF_OPEN
    trial = b.before_call()
    assert trial is True
    with pytest.raises(BreakerOpen):  # one trial at a time
        b.before_call()
    b.failure(trial)  # the trial failed: open for another reset period
    assert b.state is State.OPEN
    clock.now += 30
    trial = b.before_call()
    b.success(trial)
    assert b.state is State.CLOSED
    assert changes == [
        (State.CLOSED, State.OPEN),
        (State.OPEN, State.HALF_OPEN),
        (State.HALF_OPEN, State.OPEN),
        (State.OPEN, State.HALF_OPEN),
        (State.HALF_OPEN, State.CLOSED),
    ]
    calls(b, "fff")  # closing forgot the failures that opened it
    assert b.state is State.CLOSED and b.status().opened_total == 2


def test_late_results_of_calls_admitted_before_a_change_are_ignored() -> None:
    b, clock, _ = breaker()
    slow = b.before_call()  # admitted while closed, answers much later
    calls(b, "ffff")
    clock.now += 30
    trial = b.before_call()
    b.success(slow)  # not the trial: says nothing about now
    assert b.state is State.HALF_OPEN
    b.release(trial)  # a cancelled trial frees its slot
    assert b.before_call() is True


def test_disabled_never_opens() -> None:
    b, _, _ = breaker(BreakerSettings(minimum_calls=1, enabled=False))
    calls(b, "ffffffff")
    assert b.state is State.CLOSED


async def test_guard_counts_exceptions_and_marks_and_ignores_cancellation() -> None:
    b, _, _ = breaker(BreakerSettings(minimum_calls=2, failure_rate=1.0))
    with pytest.raises(OSError):
        async with b.guard():
            raise OSError("refused")
    async with b.guard() as call:
        call.failed()
    assert b.state is State.OPEN
    with pytest.raises(BreakerOpen):
        async with b.guard():
            pytest.fail("an open breaker never runs the block")

    b2, _, _ = breaker(BreakerSettings(minimum_calls=1))

    async def cancelled() -> None:
        async with b2.guard():
            await asyncio.sleep(10)

    task = asyncio.ensure_future(cancelled())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert b2.state is State.CLOSED and b2.status().calls == 0


def test_registry_keeps_one_breaker_per_name_with_overrides() -> None:
    quick = BreakerSettings(minimum_calls=1)
    reg = Breakers(SEED, {"toss": quick})
    assert reg.get("auth") is reg.get("auth")
    assert reg.get("toss").settings is quick and reg.get("auth").settings is SEED
    calls(reg.get("toss"), "f")
    assert [(s.name, s.state) for s in reg.statuses()] == [("auth", State.CLOSED), ("toss", State.OPEN)]


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        BreakerSettings(failure_rate=0)
    with pytest.raises(ValueError):
        BreakerSettings(minimum_calls=0)
