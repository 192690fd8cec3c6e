"""The router's edge settings from the platform's: `manpasik router` fills in the `ROUTER_*` variables the
operator has not set, so the router (which imports nothing of ours) runs with the platform's environment
profile, its Redis and key prefix, the app's operations as its safelist, and rate limits on outside tests.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from libs.config import Settings, get_settings

OPERATIONS = Path(__file__).resolve().parent.parent / "schema" / "operations"


def fill_router_env(environ: MutableMapping[str, str] = os.environ) -> None:
    try:
        settings = get_settings()
        env, redis_url, prefix = settings.env, settings.redis_url, settings.redis_prefix
    except ValueError:  # only prod refuses settings (the router needs none of the refused ones): prod it is
        fields = Settings.model_fields
        env = "prod"
        redis_url = os.environ.get("REDIS_URL") or str(fields["redis_url"].default)
        prefix = os.environ.get("REDIS_PREFIX") or str(fields["redis_prefix"].default)
    environ.setdefault("ROUTER_ENV", env)
    environ.setdefault("ROUTER_REDIS_URL", redis_url)
    environ.setdefault("ROUTER_REDIS_PREFIX", prefix)
    # The test profile leaves them off: suites log many users in from 127.0.0.1 (the limit's tests turn
    # them on with --rate-limits on).
    environ.setdefault("ROUTER_RATE_LIMITS", "off" if env == "test" else "on")
    if OPERATIONS.is_dir():  # a source checkout; the image sets ROUTER_SAFELIST itself
        environ.setdefault("ROUTER_SAFELIST", str(OPERATIONS))
