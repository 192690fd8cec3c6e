"""The local revocation view: loaded at start, kept current by pub/sub, and handing over to Redis (fail
closed) as soon as it stops hearing from Redis."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis

from libs.auth import Authenticator
from libs.auth.revocation import Revocations, grants
from libs.auth.revocation_view import RevocationView
from libs.auth.tokens import issue_access_token
from libs.config import Settings
from libs.testing.proxy import PausableProxy


def isolated(settings: Settings) -> Settings:
    """Own prefix under the run's: no other test's revocations reach this one's views."""
    return settings.model_copy(update={"redis_prefix": f"{settings.redis_prefix}rv{secrets.token_hex(3)}:"})


def claims_for(sid: str | None = None) -> dict[str, object]:
    return {"jti": secrets.token_hex(8), "sid": sid or secrets.token_hex(8), "sub": "u"}


async def until(condition, within_s: float = 2.0) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < within_s, "condition not met in time"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Redis]:
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    yield redis
    await redis.aclose()


async def test_loads_what_was_revoked_before_it_started_and_hears_what_comes_after(
    settings: Settings, client: Redis
) -> None:
    s = isolated(settings)
    revocations = Revocations(s, client)
    before, after, untouched = claims_for(), claims_for(), claims_for()
    await revocations.revoke_sessions([str(before["sid"])])
    view = RevocationView(revocations, stale_after_s=1.0)
    heard: list[frozenset[str]] = []
    view.listen(heard.append)
    try:
        assert await view.wait_fresh()
        assert view.revoked(grants(before)) and not view.revoked(grants(after))
        await revocations.revoke_token(str(after["jti"]), int(time.time()) + 60)
        took = await until(lambda: view.revoked(grants(after)))
        assert took < 1.0
        assert frozenset({f"jti:{after['jti']}"}) in heard
        assert not view.revoked(grants(untouched))
        await asyncio.sleep(1.5)  # pings keep it fresh with nothing published
        assert view.fresh()
    finally:
        await view.close()
    assert not view.fresh()  # a view that does not run tells nothing


async def test_a_view_that_stops_hearing_from_redis_is_stale_and_checks_go_to_redis(
    settings: Settings, client: Redis
) -> None:
    s = isolated(settings)
    url = urlsplit(settings.redis_url)
    async with PausableProxy(url.hostname or "127.0.0.1", url.port or 6379) as proxy:
        proxied = Redis.from_url(f"redis://127.0.0.1:{proxy.port}{url.path}", decode_responses=True)
        auth = Authenticator(s, redis=client)  # its own checks go straight to Redis
        auth.view = RevocationView(Revocations(s, proxied), stale_after_s=0.6)
        try:
            assert await auth.view.wait_fresh()
            token, jti, exp = issue_access_token(s, "u", ["USER"], "sid-" + secrets.token_hex(4))
            assert (await auth.viewer_from_header(f"Bearer {token}")).user_id == "u"

            proxy.pause()  # the view's connection hangs: no pong, and the revocation below never reaches it
            await Revocations(s, client).revoke_token(jti, exp)
            await until(lambda: not auth.view.fresh(), within_s=2.0)  # type: ignore[union-attr]
            assert not auth.view.revoked({f"jti:{jti}"})  # the view does not know ...
            viewer = await auth.viewer_from_header(f"Bearer {token}")
            assert viewer.user_id is None and viewer.auth_error == "access token revoked"  # ... Redis does

            proxy.resume()  # back: the view reloads and knows it too
            await until(lambda: auth.view.fresh() and auth.view.revoked({f"jti:{jti}"}),  # type: ignore[union-attr]
                        within_s=5.0)
        finally:
            await auth.aclose()
            await proxied.aclose()


async def test_a_stale_view_with_redis_unreachable_refuses_every_token(settings: Settings) -> None:
    s = isolated(settings).model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    auth = Authenticator(s)
    try:
        view = await auth.watch_revocations()
        assert not view.fresh()
        token, _, _ = issue_access_token(s, "u", ["USER"], "sid-1")
        viewer = await auth.viewer_from_header(f"Bearer {token}")
        assert viewer.user_id is None and viewer.auth_error == "access token revoked"
    finally:
        await auth.aclose()
