"""Composing and querying real Strawberry Federation v2 subgraphs (the shape the project's subgraphs have)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import strawberry
from aiohttp import web
from graphql import GraphQLError
from strawberry.aiohttp.views import GraphQLView

from router.compose import compose
from router.executor import AiohttpTransport
from router.gateway import Gateway
from router.sources import fetch_subgraph_sdls
from router.supergraph import load_supergraph


def _token(info: strawberry.Info) -> str:
    return str(info.context["request"].headers.get("authorization", ""))


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    email: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return User(id=id, email=f"{id}@example.com")


@strawberry.type
class AuthQuery:
    @strawberry.field
    def me(self, info: strawberry.Info) -> User:
        if _token(info) != "Bearer good":
            raise GraphQLError("Not signed in", extensions={"code": "UNAUTHENTICATED"})
        return User(id=strawberry.ID("u1"), email="u1@example.com")


@strawberry.type
class Measurement:
    value: float
    unit: str


@strawberry.type
class MeasurementQuery:
    @strawberry.field
    def ping(self) -> str:
        return "pong"


auth_schema = strawberry.federation.Schema(query=AuthQuery, federation_version="2.7")


@strawberry.federation.type(keys=["id"], name="User")
class UserWithMeasurements:
    id: strawberry.ID

    @strawberry.field
    def latest_measurements(self, info: strawberry.Info) -> list[Measurement]:
        if _token(info) != "Bearer good":
            raise GraphQLError("Not signed in", extensions={"code": "UNAUTHENTICATED"})
        return [Measurement(value=5.4, unit="mmol/L"), Measurement(value=120.0, unit="mmHg")]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> UserWithMeasurements:
        return UserWithMeasurements(id=id)


measurement_schema = strawberry.federation.Schema(
    query=MeasurementQuery, types=[UserWithMeasurements], federation_version="2.7"
)


class _View(GraphQLView):  # type: ignore[misc]
    async def get_context(self, request: web.Request, response: Any) -> dict[str, Any]:
        return {"request": request, "response": response}


async def _serve(schema: Any) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_route("*", "/graphql", _View(schema=schema))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/graphql"


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    auth_runner, auth_url = await _serve(auth_schema)
    m_runner, m_url = await _serve(measurement_schema)
    transport = AiohttpTransport(timeout=5)
    try:
        sdls = await fetch_subgraph_sdls([("auth", auth_url, None), ("measurement", m_url, None)], wait=5)
        yield Gateway(load_supergraph(compose(sdls)), transport)
    finally:
        await transport.close()
        await auth_runner.cleanup()
        await m_runner.cleanup()


async def test_query_spanning_two_strawberry_subgraphs(gateway: Gateway) -> None:
    q = "{ me { email latestMeasurements { value unit } } }"
    out = await gateway.execute_dict(q, None, None, {"authorization": "Bearer good"})
    assert out == {
        "data": {
            "me": {
                "email": "u1@example.com",
                "latestMeasurements": [{"value": 5.4, "unit": "mmol/L"}, {"value": 120.0, "unit": "mmHg"}],
            }
        }
    }


async def test_subgraph_error_codes_reach_the_client_unchanged(gateway: Gateway) -> None:
    out = await gateway.execute_dict("{ me { email } }", None, None, {})
    assert out["data"] is None
    [err] = out["errors"]
    assert err["message"] == "Not signed in"
    assert err["path"] == ["me"]
    assert err["extensions"]["code"] == "UNAUTHENTICATED"
    assert err["extensions"]["serviceName"] == "auth"
