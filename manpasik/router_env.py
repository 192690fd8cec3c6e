"""The router's edge settings from the platform's: `manpasik router` fills in the `ROUTER_*` variables the
operator has not set, so the router (which imports nothing of ours) runs with the platform's environment
profile, its Redis and key prefix, the app's operations as its safelist, and rate limits on outside tests.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from libs.config import get_settings

OPERATIONS = Path(__file__).resolve().parent.parent / "schema" / "operations"


def fill_router_env(environ: MutableMapping[str, str] = os.environ) -> None:
    settings = get_settings()
    environ.setdefault("ROUTER_ENV", settings.env)
    environ.setdefault("ROUTER_REDIS_URL", settings.redis_url)
    environ.setdefault("ROUTER_REDIS_PREFIX", settings.redis_prefix)
    # The test profile leaves them off: suites log many users in from 127.0.0.1 (the limit's tests turn
    # them on with --rate-limits on).
    environ.setdefault("ROUTER_RATE_LIMITS", "off" if settings.env == "test" else "on")
    if OPERATIONS.is_dir():  # a source checkout; the image sets ROUTER_SAFELIST itself
        environ.setdefault("ROUTER_SAFELIST", str(OPERATIONS))
