"""The permission API: field-level guards declared next to the field, and the same rule in resolvers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import strawberry

from libs.auth import Role, Viewer, can_access, require_viewer
from libs.auth.fields import authenticated, owner_or_roles, roles
from libs.errors import Unauthenticated
from libs.graphql.schema import build_schema


@strawberry.type
class Reading:
    id: strawberry.ID
    owner_id: strawberry.Private[str]

    @strawberry.field(extensions=[owner_or_roles(Role.DOCTOR, owner=lambda r: r.owner_id)])
    def value(self) -> float:
        return 5.4

    @strawberry.field(extensions=[authenticated()])
    def kind(self) -> str:
        return "glucose"


@strawberry.type
class Query:
    @strawberry.field
    def reading(self) -> Reading:
        return Reading(id=strawberry.ID("r1"), owner_id="alice")

    @strawberry.field(extensions=[roles(Role.ADMIN)])
    def audit(self) -> str:
        return "ok"


schema = build_schema(query=Query)


@dataclass
class Ctx:
    viewer: Viewer


async def run(query: str, viewer: Viewer) -> tuple[Any, list[str]]:
    result = await schema.execute(query, context_value=Ctx(viewer))
    return result.data, [e.extensions["code"] for e in result.errors or []]  # type: ignore[index]


ALICE = Viewer(user_id="alice", roles=frozenset({Role.USER}))
BOB = Viewer(user_id="bob", roles=frozenset({Role.USER}))
DOCTOR = Viewer(user_id="doc", roles=frozenset({Role.USER, Role.DOCTOR}))
ADMIN = Viewer(user_id="root", roles=frozenset({Role.USER, Role.ADMIN}))


@pytest.mark.parametrize(
    ("viewer", "codes"),
    [(ALICE, []), (DOCTOR, []), (BOB, ["FORBIDDEN"]), (Viewer(auth_error="access token revoked"),
                                                        ["UNAUTHENTICATED"])],
)
async def test_owner_or_role_field(viewer: Viewer, codes: list[str]) -> None:
    data, errors = await run("{ reading { id value kind } }", viewer)
    assert sorted(set(errors)) == codes
    if not codes:
        assert data == {"reading": {"id": "r1", "value": 5.4, "kind": "glucose"}}


async def test_role_field_and_the_reason_a_token_was_refused() -> None:
    assert (await run("{ audit }", ADMIN))[0] == {"audit": "ok"}
    assert (await run("{ audit }", DOCTOR))[1] == ["FORBIDDEN"]
    result = await schema.execute("{ audit }", context_value=Ctx(Viewer(auth_error="access token expired")))
    assert result.errors and result.errors[0].message == "access token expired"


def test_resolver_helpers_share_the_rule() -> None:
    assert can_access(ALICE, "alice") and not can_access(BOB, "alice")
    assert can_access(DOCTOR, "alice", Role.DOCTOR)
    assert not can_access(Viewer(), None, *Role)
    assert require_viewer(BOB) is BOB
    with pytest.raises(Unauthenticated):
        require_viewer(Viewer())
