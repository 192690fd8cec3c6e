"""Permissions exactly as admin.graphql states: ADMIN acts and reads; SUPPORT reads systemHealth and works
the report queue; anyone else gets nothing from any admin field, whichever way they ask (root fields or
`_entities` sent straight to the subgraph)."""

from __future__ import annotations

import pytest

from libs.config import Settings
from libs.testing.graphql import error_codes, gql
from tests.subgraphs.admin.conftest import token_for

ADMIN_ACTIONS = "query { adminActions(first: 5) { edges { node { id action } } } }"
ANALYTICS = '{ analytics(from: "2026-01-01", to: "2026-01-02") { date activeUsers revenue } }'
HEALTH = "{ systemHealth { service status } }"
REPORTS = "{ userReports(first: 5) { edges { node { id reason reporterId } } } }"
REVIEW = """mutation($id: ID!) { reviewUserReport(reportId: $id, status: IN_REVIEW) { id status } }"""
ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id openReports } } }"""

EVERY_READ = [ADMIN_ACTIONS, ANALYTICS, HEALTH, REPORTS]


@pytest.mark.parametrize("roles", [["USER"], ["DOCTOR"], ["USER", "DOCTOR"]])
async def test_a_plain_user_or_doctor_gets_nothing_from_any_admin_field(
    admin_url: str, settings: Settings, roles: list[str]
) -> None:
    token = token_for(settings, roles=roles)
    for query in EVERY_READ:
        result = await gql(admin_url, query, token=token)
        assert error_codes(result) == ["FORBIDDEN"], (query, result)
        assert not (result.get("data") or {}).get(query.split("{")[1].split("(")[0].strip())
    review = await gql(admin_url, REVIEW, {"id": "00000000-0000-0000-0000-000000000000"}, token=token)
    assert error_codes(review) == ["FORBIDDEN"]
    assert error_codes(await gql(admin_url, "mutation { rebuildAnalytics }", token=token)) == ["FORBIDDEN"]
    entities = await gql(admin_url, ENTITIES, {"r": [{"__typename": "User", "id": "someone"}]}, token=token)
    assert error_codes(entities) == ["FORBIDDEN"]
    assert "openReports" not in str(entities.get("data"))


async def test_without_a_token_every_admin_field_says_unauthenticated(admin_url: str) -> None:
    for query in EVERY_READ:
        assert error_codes(await gql(admin_url, query)) == ["UNAUTHENTICATED"], query


async def test_support_reads_health_and_reports_but_not_actions_or_analytics(
    admin_url: str, settings: Settings
) -> None:
    token = token_for(settings, roles=["SUPPORT"])
    assert error_codes(await gql(admin_url, HEALTH, token=token)) == []
    assert error_codes(await gql(admin_url, REPORTS, token=token)) == []
    assert error_codes(await gql(admin_url, ADMIN_ACTIONS, token=token)) == ["FORBIDDEN"]
    assert error_codes(await gql(admin_url, ANALYTICS, token=token)) == ["FORBIDDEN"]
    assert error_codes(await gql(admin_url, "mutation { rebuildAnalytics }", token=token)) == ["FORBIDDEN"]
    entities = await gql(admin_url, ENTITIES, {"r": [{"__typename": "User", "id": "x"}]}, token=token)
    assert entities["data"]["_entities"] == [{"id": "x", "openReports": 0}]


async def test_admin_reads_everything(admin_url: str, settings: Settings) -> None:
    token = token_for(settings, roles=["ADMIN"])
    for query in EVERY_READ:
        assert error_codes(await gql(admin_url, query, token=token)) == [], query
