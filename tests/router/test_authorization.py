"""Authorization directives enforced at the router (issue 9, item 9), as Apollo Router does: a field the
request may not read (@authenticated, @requiresScopes, @policy on the field or on the type it returns) is cut
from the plan, so no subgraph is asked for it; it answers null with an UNAUTHORIZED_FIELD_OR_TYPE error
at each response path, and the rest of the operation runs. Scopes come from the verified token
(`TokenVerifier.principal`, which `manpasik router --verify-tokens` builds from the token's roles).

Hive Gateway and Apollo Gateway are no oracle here: Apollo Gateway refuses supergraphs with `for: SECURITY`
links, and Hive Gateway enforces these directives only with its auth plugin configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from router.compose import SubgraphSDL, compose
from router.executor import AiohttpTransport
from router.gateway import Gateway
from router.server.edge_auth import EdgeAuth, TokenVerifier
from router.supergraph import Principal, load_supergraph
from tests.router.conftest import running_subgraphs
from tests.router.support.fixture_subgraph import FixtureSubgraph
from tests.router.support.scenario import _files

HERE = Path(__file__).resolve().parent / "authorization"
TOKENS = {
    "Bearer user": Principal(True, frozenset({"USER"}), frozenset({"USER"})),
    "Bearer verified": Principal(True, frozenset({"USER", "VERIFIED"}), frozenset({"USER"})),
    "Bearer admin-doctor": Principal(True, frozenset({"ADMIN", "DOCTOR"}), frozenset({"ADMIN"})),
}
QUERY = "{ users { id nickname email glucose { mgdl } } me { id nickname } auditLog }"
UNAUTHORIZED = {"message": "Unauthorized field or type", "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"}}


@asynccontextmanager
async def router() -> AsyncIterator[tuple[Gateway, dict[str, FixtureSubgraph]]]:
    async def refusal(authorization: str) -> str | None:
        return None if authorization in TOKENS else "invalid token"

    async def principal(authorization: str) -> Principal:
        return TOKENS[authorization]

    edge = EdgeAuth(TokenVerifier(refusal=refusal, principal=principal))
    sdls, data = _files(HERE)
    async with running_subgraphs(sdls, data) as subs:
        supergraph = load_supergraph(compose([SubgraphSDL(n, s.url, s.sdl) for n, s in subs.items()]))
        transport = AiohttpTransport(timeout=5, dedup=False)
        try:
            yield Gateway(supergraph, transport, principal=edge.principal), subs
        finally:
            await transport.close()


def denied(*paths: list[Any]) -> list[dict[str, Any]]:
    return [{**UNAUTHORIZED, "path": p} for p in paths]


def by_path(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(errors, key=lambda e: repr(e.get("path")))


async def test_anonymous_gets_public_fields_and_an_error_per_gated_place() -> None:
    async with router() as (gw, subs):
        result = await gw.execute_dict(QUERY, None, None, {})
        assert result["data"] == {
            "users": [
                {"id": "u1", "nickname": "ada", "email": None, "glucose": None},
                {"id": "u2", "nickname": "bo", "email": None, "glucose": None},
            ],
            "me": None,
            "auditLog": None,
        }
        assert by_path(result["errors"]) == by_path(
            denied(
                ["users", 0, "email"],
                ["users", 0, "glucose"],
                ["users", 1, "email"],
                ["users", 1, "glucose"],
                ["me"],
                ["auditLog"],
            )
        )
        assert subs["health"].requests == [], "a cut field is never asked of its subgraph"
        assert "email" not in subs["accounts"].requests[0]["body"]["query"]


async def test_a_user_without_the_scope_gets_what_authentication_allows() -> None:
    async with router() as (gw, subs):
        result = await gw.execute_dict(QUERY, None, None, {"authorization": "Bearer user"})
        assert result["data"] == {
            "users": [
                {"id": "u1", "nickname": "ada", "email": None, "glucose": None},
                {"id": "u2", "nickname": "bo", "email": None, "glucose": None},
            ],
            "me": {"id": "u1", "nickname": "ada"},
            "auditLog": None,
        }
        # glucose is @authenticated, but its type Reading needs DOCTOR: both hold for the field.
        assert by_path(result["errors"]) == by_path(
            denied(
                ["users", 0, "email"],
                ["users", 0, "glucose"],
                ["users", 1, "email"],
                ["users", 1, "glucose"],
                ["auditLog"],
            )
        )
        assert subs["health"].requests == []


async def test_all_scopes_of_one_alternative_are_needed() -> None:
    async with router() as (gw, _subs):
        result = await gw.execute_dict(
            "{ users { email } }", None, None, {"authorization": "Bearer verified"}
        )
        assert result == {"data": {"users": [{"email": "ada@example.kr"}, {"email": "bo@example.kr"}]}}


async def test_a_user_with_the_scopes_gets_everything() -> None:
    async with router() as (gw, subs):
        result = await gw.execute_dict(QUERY, None, None, {"authorization": "Bearer admin-doctor"})
        assert result == {
            "data": {
                "users": [
                    {"id": "u1", "nickname": "ada", "email": "ada@example.kr", "glucose": [{"mgdl": 98}]},
                    {"id": "u2", "nickname": "bo", "email": "bo@example.kr", "glucose": []},
                ],
                "me": {"id": "u1", "nickname": "ada"},
                "auditLog": ["u2 signed in"],
            }
        }
        assert len(subs["health"].requests) == 1


async def test_a_cut_non_null_field_nulls_its_parent_and_plans_are_kept_per_grant() -> None:
    query = "{ me { id recoveryCode } users { id } }"
    async with router() as (gw, _subs):
        user = await gw.execute_dict(query, None, None, {"authorization": "Bearer user"})
        assert user["data"] == {"me": None, "users": [{"id": "u1"}, {"id": "u2"}]}
        assert user["errors"] == denied(["me", "recoveryCode"])
        admin = await gw.execute_dict(query, None, None, {"authorization": "Bearer admin-doctor"})
        assert admin == {
            "data": {"me": {"id": "u1", "recoveryCode": "R1"}, "users": [{"id": "u1"}, {"id": "u2"}]}
        }
        again = await gw.execute_dict(query, None, None, {"authorization": "Bearer user"})
        assert again == user


async def test_without_a_principal_source_the_subgraphs_decide() -> None:
    sdls, data = _files(HERE)
    async with running_subgraphs(sdls, data) as subs:
        supergraph = load_supergraph(compose([SubgraphSDL(n, s.url, s.sdl) for n, s in subs.items()]))
        transport = AiohttpTransport(timeout=5, dedup=False)
        try:
            result = await Gateway(supergraph, transport).execute_dict("{ auditLog }", None, None, {})
        finally:
            await transport.close()
    assert result == {"data": {"auditLog": ["u2 signed in"]}}
