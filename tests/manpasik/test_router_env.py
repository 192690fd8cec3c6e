"""`manpasik router` hands the router the platform's profile, Redis and safelist as ROUTER_* defaults, and
never overrides what the operator set."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from libs.config import get_settings
from manpasik.router_env import OPERATIONS, fill_router_env


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.mark.parametrize(("env", "limits"), [("dev", "on"), ("test", "off")])
def test_profile_redis_and_safelist_come_from_the_platform(
    fresh_settings: pytest.MonkeyPatch, env: str, limits: str
) -> None:
    fresh_settings.setenv("MANPASIK_ENV", env)
    fresh_settings.setenv("REDIS_URL", "redis://cache:6379/2")
    fresh_settings.setenv("REDIS_PREFIX", "t1:")
    out: dict[str, str] = {}
    fill_router_env(out)
    assert out == {
        "ROUTER_ENV": env,
        "ROUTER_REDIS_URL": "redis://cache:6379/2",
        "ROUTER_REDIS_PREFIX": "t1:",
        "ROUTER_RATE_LIMITS": limits,
        "ROUTER_SAFELIST": str(OPERATIONS),
    }


def test_what_the_operator_set_wins(fresh_settings: pytest.MonkeyPatch) -> None:
    fresh_settings.setenv("MANPASIK_ENV", "dev")
    mine = {"ROUTER_RATE_LIMITS": "off", "ROUTER_SAFELIST": "/srv/ops", "ROUTER_ENV": "prod"}
    out = dict(mine)
    fill_router_env(out)
    assert {k: out[k] for k in mine} == mine


def test_prod_settings_the_platform_would_refuse_still_mean_prod(fresh_settings: pytest.MonkeyPatch) -> None:
    fresh_settings.setenv("MANPASIK_ENV", "prod")
    fresh_settings.setenv("JWT_SECRET", "weak")  # prod refuses it; the router needs none of it
    fresh_settings.setenv("REDIS_URL", "redis://cache:6379/3")
    out: dict[str, str] = {}
    fill_router_env(out)
    assert (out["ROUTER_ENV"], out["ROUTER_REDIS_URL"], out["ROUTER_RATE_LIMITS"]) == (
        "prod",
        "redis://cache:6379/3",
        "on",
    )
