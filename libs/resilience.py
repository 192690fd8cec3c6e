"""Circuit breakers around calls to external providers (FCM, Toss, Twilio Verify, SMTP): one per provider
and process, from the shared settings (`PROVIDER_BREAKER_*`). The breaker itself is the `resilience`
package, which the router uses for its subgraphs too.

    breaker = provider_breaker(settings, "toss")
    try:
        async with breaker.guard() as call:
            r = await http.post(...)
            if r.status_code >= 500:
                call.failed()
    except BreakerOpen as e:          # nothing was sent: a clear refusal, never an unknown outcome
        ...
"""

from __future__ import annotations

import logging

from libs.config import Settings
from resilience import BreakerOpen, BreakerSettings, CircuitBreaker, State

__all__ = ["BreakerOpen", "CircuitBreaker", "breaker_settings", "provider_breaker"]

log = logging.getLogger("manpasik.resilience")


def breaker_settings(settings: Settings) -> BreakerSettings:
    return BreakerSettings(
        failure_rate=settings.provider_breaker_failure_rate,
        minimum_calls=settings.provider_breaker_minimum_calls,
        window_s=settings.provider_breaker_window_s,
        reset_s=settings.provider_breaker_reset_s,
    )


def _log_change(name: str, old: State, new: State) -> None:
    level = logging.WARNING if new is State.OPEN else logging.INFO
    log.log(level, "provider breaker %s: %s -> %s", name, old.value, new.value)


def provider_breaker(settings: Settings | None, name: str) -> CircuitBreaker:
    """A breaker for one provider (default settings without `settings`); state changes are logged."""
    config = breaker_settings(settings) if settings is not None else BreakerSettings()
    return CircuitBreaker(name, config, on_change=_log_change)
