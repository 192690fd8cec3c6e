"""The shared subgraph plumbing over a real socket: error codes, masking, viewer from the token, /ready."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import strawberry

from libs.auth import Authenticator, Role, require_viewer
from libs.auth.fields import roles
from libs.auth.tokens import issue_access_token
from libs.config import Settings
from libs.errors import BadUserInput, Conflict
from libs.graphql.app import create_subgraph_app
from libs.graphql.schema import build_schema
from libs.testing import running_app
from libs.testing.graphql import error_codes, gql


@strawberry.type
class Query:
    @strawberry.field
    def who_am_i(self, info: strawberry.Info) -> str:
        return str(require_viewer(info.context.viewer).user_id)

    @strawberry.field(extensions=[roles(Role.ADMIN)])
    def admin_only(self, info: strawberry.Info) -> str:
        return "secret"

    @strawberry.field
    def bad_input(self, amount: int) -> int:
        raise BadUserInput("amount must be positive", field="amount")

    @strawberry.field
    def conflict(self) -> int:
        raise Conflict("already exists")

    @strawberry.field
    def crash(self) -> int:
        raise RuntimeError("database password is hunter2")


class _Resources:
    def __init__(self, settings: Settings) -> None:
        self.authenticator = Authenticator(settings)
        self.up = True

    async def ready(self) -> dict[str, str]:
        if not self.up:
            raise ConnectionError("store down")
        return {"store": "ok"}


def _app(settings: Settings) -> tuple[Any, dict[str, _Resources]]:
    holder: dict[str, _Resources] = {}

    @asynccontextmanager
    async def resources(s: Settings) -> AsyncIterator[_Resources]:
        holder["r"] = _Resources(s)
        yield holder["r"]

    return create_subgraph_app("demo", build_schema(query=Query), resources, settings=settings), holder


async def test_codes_masking_and_viewer(settings: Settings) -> None:
    app, _ = _app(settings)
    async with running_app(app) as base:
        url = base + "/graphql"
        assert error_codes(await gql(url, "{ whoAmI }")) == ["UNAUTHENTICATED"]
        token, _, _ = issue_access_token(settings, "user-1", ["USER"], "s1")
        assert (await gql(url, "{ whoAmI }", token=token))["data"] == {"whoAmI": "user-1"}
        assert error_codes(await gql(url, "{ adminOnly }", token=token)) == ["FORBIDDEN"]
        admin, _, _ = issue_access_token(settings, "admin-1", ["ADMIN"], "s2")
        assert (await gql(url, "{ adminOnly }", token=admin))["data"] == {"adminOnly": "secret"}

        bad = await gql(url, "{ badInput(amount: -1) }")
        assert bad["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "amount"}
        assert error_codes(await gql(url, "{ conflict }")) == ["CONFLICT"]

        crash = await gql(url, "{ crash }")
        assert crash["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
        assert "hunter2" not in str(crash)

        assert error_codes(await gql(url, "{ nope }")) == ["GRAPHQL_VALIDATION_FAILED"]
        assert error_codes(await gql(url, "{ whoAmI ")) == ["GRAPHQL_PARSE_FAILED"]
        assert error_codes(await gql(url, "query($a: Int!) { badInput(amount: $a) }", {"a": "x"})) == [
            "BAD_USER_INPUT"
        ]


async def test_refused_tokens_say_why(settings: Settings) -> None:
    app, _ = _app(settings)
    other = settings.model_copy(update={"jwt_secret": "another-secret-that-is-long-enough-to-be-used"})
    forged, _, _ = issue_access_token(other, "user-1", ["ADMIN"], "s1")
    expired, _, _ = issue_access_token(settings, "user-1", ["USER"], "s1", now=1_000_000)
    async with running_app(app) as base:
        url = base + "/graphql"
        r = await gql(url, "{ whoAmI }", token=forged)
        assert r["errors"][0]["message"] == "invalid access token"
        r = await gql(url, "{ whoAmI }", token=expired)
        assert r["errors"][0]["message"] == "access token expired"
        r = await gql(url, "{ whoAmI }", headers={"authorization": "Basic abc"})
        assert error_codes(r) == ["UNAUTHENTICATED"]


async def test_health_and_ready(settings: Settings) -> None:
    app, holder = _app(settings)
    async with running_app(app) as base, httpx.AsyncClient() as c:
        assert (await c.get(base + "/health")).json()["status"] == "ok"
        ready = await c.get(base + "/ready")
        assert ready.status_code == 200 and ready.json()["checks"] == {"store": "ok"}
        holder["r"].up = False
        assert (await c.get(base + "/ready")).status_code == 503
