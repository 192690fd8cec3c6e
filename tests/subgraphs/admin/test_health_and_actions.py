"""systemHealth asks the router's and every subgraph's /ready at once; adminActions lists the admin
actions other subgraphs publish (auth's suspensions, reinstatements, role grants)
with actor, reason and request id."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from libs.config import Settings
from libs.events.streams import AUTH_STREAM, USER_REINSTATED, USER_ROLE_GRANTED, USER_SUSPENDED
from libs.testing import free_port, running_app
from libs.testing.graphql import error_codes, gql
from subgraphs.admin.app import create_app
from subgraphs.admin.resources import AdminResources
from subgraphs.admin.settings import AdminSettings
from tests.subgraphs.admin.conftest import consume, event_at, publish, token_for

HEALTH = "{ systemHealth { service status latencyMs checkedAt detail } }"
ACTIONS = """query($first: Int!, $after: String) { adminActions(first: $first, after: $after) {
  edges { cursor node { id at actor { id } action targetUserId reason requestId source } }
  pageInfo { hasNextPage endCursor } } }"""


def a_stand_in(status: int, body: dict[str, object], delay_s: float = 0.0) -> FastAPI:
    """Another service's /ready, answering as libs.graphql.app's does."""
    app = FastAPI()

    @app.get("/ready")
    async def ready() -> JSONResponse:
        await asyncio.sleep(delay_s)
        return JSONResponse(body, status_code=status)

    return app


async def test_system_health_reports_each_service_and_store_and_what_is_down(
    admin: AdminResources,
    admin_settings: Settings,
    admin_url: str,
) -> None:
    slow = a_stand_in(
        200, {"status": "ready", "checks": {"database": "ok", "events:auth/x": "lag=0 pending=0 dead=2"}}, 0.3
    )
    sick = a_stand_in(503, {"status": "unavailable", "error": "redis: connection refused"})
    router = a_stand_in(200, {"status": "ready"})
    async with (
        running_app(slow) as slow_url,
        running_app(sick) as sick_url,
        running_app(router) as router_url,
    ):
        own = AdminSettings(
            workers=False,
            database="mps_admin_suite",
            router_url=router_url,
            health_timeout_s=1.0,
            subgraph_urls={
                "admin": admin_url,
                "slow": slow_url + "/graphql",
                "sick": sick_url,
                "gone": f"http://127.0.0.1:{free_port()}",
            },
        )
        async with running_app(create_app(admin_settings, own)) as base:
            started = time.perf_counter()
            result = await gql(base + "/graphql", HEALTH, token=token_for(admin_settings, roles=["SUPPORT"]))
            took = time.perf_counter() - started
    rows = {r["service"]: r for r in result["data"]["systemHealth"]}
    assert rows["router"]["status"] == "UP"
    assert rows["admin"]["status"] == "UP" and rows["admin/database"]["status"] == "UP"
    assert rows["admin/redis"]["status"] == "UP"
    assert rows["slow"]["status"] == "DEGRADED" and rows["slow"]["latencyMs"] >= 300
    assert rows["slow/events:auth/x"] == {
        **rows["slow/events:auth/x"],
        "status": "DEGRADED",
        "detail": "lag=0 pending=0 dead=2",
    }
    assert rows["sick"]["status"] == "DOWN" and rows["sick"]["detail"] == "redis: connection refused"
    assert rows["gone"]["status"] == "DOWN" and rows["gone"]["latencyMs"] is None
    checked = datetime.fromisoformat(rows["router"]["checkedAt"])
    assert abs(datetime.now(UTC) - checked) < timedelta(seconds=30)
    assert took < 1.0  # asked at once, not one after another (0.3 s of the slow one, not the sum)


async def test_admin_actions_from_other_subgraphs_newest_first_with_pages(
    admin: AdminResources,
    admin_url: str,
    settings: Settings,
) -> None:
    target, actor = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(UTC)
    events = [
        event_at(
            USER_SUSPENDED,
            now + timedelta(seconds=1),
            "/subgraphs/auth",
            userId=target,
            actorId=actor,
            reason="chargeback fraud",
            requestId="req-a",
        ),
        event_at(
            USER_REINSTATED,
            now + timedelta(seconds=2),
            "/subgraphs/auth",
            userId=target,
            actorId=actor,
            reason="bank confirmed",
            requestId="req-b",
        ),
        event_at(
            USER_ROLE_GRANTED,
            now + timedelta(seconds=3),
            "/subgraphs/auth",
            userId=target,
            actorId=actor,
            role="DOCTOR",
            displayName="Dr. K",
            requestId="req-c",
        ),
    ]
    await publish(admin, AUTH_STREAM, *events)
    await consume(admin)
    token = token_for(settings, roles=["ADMIN"])
    first = (await gql(admin_url, ACTIONS, {"first": 2}, token=token))["data"]["adminActions"]
    nodes = [e["node"] for e in first["edges"]]
    assert [(n["action"], n["reason"], n["requestId"]) for n in nodes] == [
        ("ROLE_GRANTED", "DOCTOR", "req-c"),
        ("USER_REINSTATED", "bank confirmed", "req-b"),
    ]
    assert all(n["actor"] == {"id": actor} and n["targetUserId"] == target for n in nodes)
    assert nodes[0]["id"] == events[2].id and nodes[0]["source"] == "/subgraphs/auth"
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (
        await gql(admin_url, ACTIONS, {"first": 1, "after": first["pageInfo"]["endCursor"]}, token=token)
    )["data"]["adminActions"]
    assert rest["edges"][0]["node"]["action"] == "USER_SUSPENDED"
    assert rest["edges"][0]["node"]["reason"] == "chargeback fraud"

    for bad in ({"first": 0}, {"first": 101}, {"first": 5, "after": "not-a-cursor"}):
        result = await gql(admin_url, ACTIONS, bad, token=token)
        assert error_codes(result) == ["BAD_USER_INPUT"], bad
