"""`serve` options for breakers, retries and shutdown (each also an environment variable)."""

from __future__ import annotations

import argparse
import os

from resilience import BreakerSettings
from router.executor.resilience import ResilienceSettings


def _env(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def add_arguments(s: argparse.ArgumentParser) -> None:
    d, b = ResilienceSettings(), BreakerSettings()
    g = s.add_argument_group("resilience (docs/ROUTER.md)")
    g.add_argument(
        "--query-timeout",
        type=float,
        default=_env("ROUTER_QUERY_TIMEOUT", d.query_timeout_s),
        help="timeout of each try of a query's subgraph fetch, seconds (mutations: --timeout)",
    )
    g.add_argument(
        "--retry-attempts",
        type=int,
        default=int(_env("ROUTER_RETRY_ATTEMPTS", d.retry_attempts)),
        help="tries in all for a query's fetch that failed to connect, timed out or got a 5xx (1: no retry)",
    )
    g.add_argument(
        "--retry-budget",
        type=float,
        default=_env("ROUTER_RETRY_BUDGET", d.retry_budget_s),
        help="seconds from a fetch's first try after which no retry starts or runs",
    )
    g.add_argument(
        "--breaker-failure-rate",
        type=float,
        default=_env("ROUTER_BREAKER_FAILURE_RATE", b.failure_rate),
        help="a subgraph's breaker opens when this share of its calls in the window failed ...",
    )
    g.add_argument(
        "--breaker-minimum-calls",
        type=int,
        default=int(_env("ROUTER_BREAKER_MINIMUM_CALLS", b.minimum_calls)),
        help="... and at least this many calls were made in it",
    )
    g.add_argument(
        "--breaker-window",
        type=float,
        default=_env("ROUTER_BREAKER_WINDOW", b.window_s),
        help="the breaker's rolling window, seconds",
    )
    g.add_argument(
        "--breaker-reset",
        type=float,
        default=_env("ROUTER_BREAKER_RESET", b.reset_s),
        help="seconds an open breaker refuses before it lets a trial call through (half-open)",
    )
    g.add_argument(
        "--no-breaker",
        action="store_true",
        default=os.environ.get("ROUTER_BREAKER", "").lower() in ("0", "false", "no", "off"),
        help="never open a breaker",
    )
    g.add_argument(
        "--drain-timeout",
        type=float,
        default=_env("ROUTER_DRAIN_TIMEOUT", 10.0),
        help="on SIGTERM, seconds in-flight requests get to finish before they are cut",
    )


def settings_from(args: argparse.Namespace) -> ResilienceSettings:
    breaker = BreakerSettings(
        failure_rate=args.breaker_failure_rate,
        minimum_calls=args.breaker_minimum_calls,
        window_s=args.breaker_window,
        reset_s=args.breaker_reset,
        enabled=not args.no_breaker,
    )
    return ResilienceSettings(
        breaker=breaker,
        query_timeout_s=args.query_timeout,
        retry_attempts=args.retry_attempts,
        retry_budget_s=args.retry_budget,
    )
