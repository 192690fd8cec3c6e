"""Users' reports: anyone signed in flags another user; SUPPORT and ADMIN move a report through the review
workflow (OPEN -> IN_REVIEW -> RESOLVED | DISMISSED), each step recorded as an admin action."""

from __future__ import annotations

import uuid

from libs.config import Settings
from libs.testing.graphql import error_codes, from_router, gql
from tests.subgraphs.admin.conftest import token_for

REPORT = """mutation($u: ID!, $r: String!, $c: String) {
  reportUser(userId: $u, reason: $r, contentRef: $c) { id status reason reportedUserId contentRef } }"""
REVIEW = """mutation($id: ID!, $s: ReportStatus!, $n: String) {
  reviewUserReport(reportId: $id, status: $s, note: $n) { id status resolution reviewerId } }"""
QUEUE = """query($s: [ReportStatus!]) { userReports(first: 100, statuses: $s) {
  edges { node { id status reporterId reportedUserId } } } }"""
ACTIONS = """{ adminActions(first: 100) { edges { node { id action targetUserId reason requestId
  actor { id } source } } } }"""
ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id openReports } } }"""


def ids(result: dict[str, object]) -> list[str]:
    return [e["node"]["id"] for e in result["data"]["userReports"]["edges"]]  # type: ignore[index]


async def test_a_report_goes_through_review_and_every_step_is_an_admin_action(
    admin_url: str, settings: Settings
) -> None:
    reporter, target, support = (str(uuid.uuid4()) for _ in range(3))
    as_reporter = token_for(settings, reporter)
    as_support = token_for(settings, support, ["SUPPORT"])
    as_admin = token_for(settings, roles=["ADMIN"])

    made = await gql(
        admin_url,
        REPORT,
        {"u": target, "r": "  rude in chat ", "c": "consultation_message/m1"},
        token=as_reporter,
    )
    report = made["data"]["reportUser"]
    assert report["status"] == "OPEN" and report["reason"] == "rude in chat"
    assert report["reportedUserId"] == target and report["contentRef"] == "consultation_message/m1"
    rid = report["id"]
    assert rid in ids(await gql(admin_url, QUEUE, token=as_support))
    counts = await gql(admin_url, ENTITIES, {"r": [{"__typename": "User", "id": target}]}, token=as_support)
    assert counts["data"]["_entities"] == [{"id": target, "openReports": 1}]

    # The reporter cannot work the queue, nor read it.
    assert error_codes(
        await gql(admin_url, REVIEW, {"id": rid, "s": "DISMISSED", "n": "x"}, token=as_reporter)
    ) == ["FORBIDDEN"]
    assert error_codes(await gql(admin_url, QUEUE, token=as_reporter)) == ["FORBIDDEN"]

    taken = await gql(
        admin_url,
        REVIEW,
        {"id": rid, "s": "IN_REVIEW"},
        token=as_support,
        headers=from_router({"x-request-id": "req-review-" + rid[:8]}),
    )
    assert taken["data"]["reviewUserReport"] == {
        "id": rid,
        "status": "IN_REVIEW",
        "resolution": None,
        "reviewerId": support,
    }
    no_note = await gql(admin_url, REVIEW, {"id": rid, "s": "RESOLVED"}, token=as_support)
    assert (
        error_codes(no_note) == ["BAD_USER_INPUT"] and no_note["errors"][0]["extensions"]["field"] == "note"
    )
    back = await gql(admin_url, REVIEW, {"id": rid, "s": "OPEN"}, token=as_support)
    assert error_codes(back) == ["BAD_USER_INPUT"] and back["errors"][0]["extensions"]["field"] == "status"
    done = await gql(
        admin_url, REVIEW, {"id": rid, "s": "RESOLVED", "n": "warned the user"}, token=as_support
    )
    assert done["data"]["reviewUserReport"]["status"] == "RESOLVED"
    again = await gql(
        admin_url, REVIEW, {"id": rid, "s": "DISMISSED", "n": "changed my mind"}, token=as_admin
    )
    assert error_codes(again) == ["CONFLICT"]

    assert rid not in ids(await gql(admin_url, QUEUE, token=as_support))  # default: open and in review
    assert rid in ids(await gql(admin_url, QUEUE, {"s": ["RESOLVED"]}, token=as_support))
    counts = await gql(admin_url, ENTITIES, {"r": [{"__typename": "User", "id": target}]}, token=as_support)
    assert counts["data"]["_entities"] == [{"id": target, "openReports": 0}]

    actions = [
        e["node"]
        for e in (await gql(admin_url, ACTIONS, token=as_admin))["data"]["adminActions"]["edges"]
        if e["node"]["targetUserId"] == target
    ]
    assert [(a["action"], a["actor"]["id"], a["reason"]) for a in actions] == [
        ("REPORT_RESOLVED", support, "warned the user"),
        ("REPORT_IN_REVIEW", support, None),
    ]
    assert actions[1]["requestId"] == "req-review-" + rid[:8]


async def test_bad_reports_are_refused_with_the_field_and_unknown_ones_are_not_found(
    admin_url: str, settings: Settings
) -> None:
    me = str(uuid.uuid4())
    token = token_for(settings, me)
    myself = await gql(admin_url, REPORT, {"u": me, "r": "test"}, token=token)
    assert (
        error_codes(myself) == ["BAD_USER_INPUT"] and myself["errors"][0]["extensions"]["field"] == "userId"
    )
    blank = await gql(admin_url, REPORT, {"u": str(uuid.uuid4()), "r": "   "}, token=token)
    assert error_codes(blank) == ["BAD_USER_INPUT"] and blank["errors"][0]["extensions"]["field"] == "reason"
    long = await gql(admin_url, REPORT, {"u": str(uuid.uuid4()), "r": "x" * 1001}, token=token)
    assert error_codes(long) == ["BAD_USER_INPUT"]
    assert error_codes(await gql(admin_url, REPORT, {"u": "x", "r": "y"})) == ["UNAUTHENTICATED"]
    missing = await gql(
        admin_url,
        REVIEW,
        {"id": str(uuid.uuid4()), "s": "IN_REVIEW"},
        token=token_for(settings, roles=["ADMIN"]),
    )
    assert error_codes(missing) == ["NOT_FOUND"]
    korean = await gql(admin_url, REPORT, {"u": str(uuid.uuid4()), "r": "욕설을 했습니다 🙁"}, token=token)
    assert korean["data"]["reportUser"]["reason"] == "욕설을 했습니다 🙁"
