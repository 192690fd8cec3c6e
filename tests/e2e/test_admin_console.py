"""The admin console through the router (admin.graphql): AdminUsers across auth, payment and measurement at
a constant cost per page, AdminActions with the actor's email from auth, SystemHealth of every service and
store, Analytics folded from the streams (and rebuilt from them), SUPPORT's and a plain user's limits, and a
suspended user's live token refused at once everywhere.

Subgraph fetches are counted as HTTP requests reaching each subgraph with the request id the router forwards;
store commands as SQL statements and Mongo commands issued under that request id (as in test_home_query).
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pymongo import monitoring
from sqlalchemy import event
from sqlalchemy.engine import Engine

from libs.config import Settings
from libs.events import group_lag
from libs.graphql.app import RequestIdMiddleware
from libs.logging import request_id_var
from libs.testing.graphql import error_codes, gql
from manpasik.registry import SUBGRAPHS
from subgraphs.admin.resources import open_resources
from subgraphs.admin.service import CONSUMER_GROUP
from subgraphs.admin.settings import AdminSettings
from subgraphs.admin.streams import READ_STREAMS
from tests.e2e.conftest import Stack, contract_operation
from tests.subgraphs.auth.helpers import set_roles

PASSWORD = "correct horse battery staple"
COUNTS: Counter[str] = Counter()


def admin_op(name: str) -> str:
    return contract_operation(name, "admin.graphql")


class _Mongo(monitoring.CommandListener):
    def started(self, event: monitoring.CommandStartedEvent) -> None:
        rid = request_id_var.get()
        if rid:
            COUNTS[f"{rid} mongo {event.command_name}"] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


monitoring.register(_Mongo())  # before this module's stack creates its Mongo client


@pytest.fixture(autouse=True)
def _count(monkeypatch: pytest.MonkeyPatch, stack: Stack) -> Iterator[None]:
    """Counts (never changes) what a request costs: each subgraph request and store command under its id."""
    ports = {int(url.split(":")[2].split("/")[0]): name for name, url in stack.subgraphs.items()}
    original = RequestIdMiddleware.__call__

    async def counted(self: RequestIdMiddleware, scope: Any, receive: Any, send: Any) -> None:
        rid = next((v.decode() for k, v in scope.get("headers", []) if k == b"x-request-id"), None)
        server = scope.get("server") or (None, None)
        if rid and scope["type"] == "http" and server[1] in ports:
            COUNTS[f"{rid} fetch {ports[server[1]]}"] += 1
        await original(self, scope, receive, send)

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        rid = request_id_var.get()
        if rid and not statement.lstrip().upper().startswith("SELECT 1"):
            COUNTS[f"{rid} sql {conn.engine.url.database}"] += 1

    monkeypatch.setattr(RequestIdMiddleware, "__call__", counted)
    event.listen(Engine, "before_cursor_execute", before)
    yield
    event.remove(Engine, "before_cursor_execute", before)


def cost(rid: str) -> dict[str, int]:
    return {k.split(" ", 1)[1]: v for k, v in COUNTS.items() if k.startswith(rid + " ")}


async def sign_up(stack: Stack, email: str, name: str) -> dict[str, Any]:
    r = await gql(
        stack.url,
        contract_operation("SignUp"),
        {"input": {"email": email, "password": PASSWORD, "displayName": name, "locale": "ko-KR"}},
    )
    assert "errors" not in r, r
    return {
        "id": r["data"]["signUp"]["user"]["id"],
        "email": email,
        "token": r["data"]["signUp"]["tokens"]["accessToken"],
    }


async def staff(stack: Stack, settings: Settings, roles: str) -> dict[str, Any]:
    person = await sign_up(stack, f"staff-{secrets.token_hex(4)}@example.com", "운영자")
    await set_roles(settings, person["id"], roles)  # test setup: the first staff cannot be granted by the API
    r = await gql(
        stack.url, contract_operation("LogIn"), {"input": {"email": person["email"], "password": PASSWORD}}
    )
    person["token"] = r["data"]["logIn"]["tokens"]["accessToken"]
    return person


async def record(stack: Stack, token: str, n: int) -> None:
    now = datetime.now(UTC)
    inputs = [
        {
            "type": "BLOOD_GLUCOSE",
            "context": "FASTING",
            "value": 95 + i,
            "unit": "mg/dL",
            "source": "MANUAL",
            "takenAt": (now - timedelta(minutes=i)).isoformat(),
            "clientId": secrets.token_hex(8),
        }
        for i in range(n)
    ]
    r = await gql(stack.url, contract_operation("RecordMeasurements"), {"inputs": inputs}, token=token)
    assert "errors" not in r, r


async def streams_drained(settings: Settings) -> None:
    """Until the admin consumers have folded everything published so far."""
    async with open_resources(settings, AdminSettings(workers=False)) as res:
        for _ in range(300):
            lags = [await group_lag(res.redis, settings, s, CONSUMER_GROUP) for s in READ_STREAMS]
            if all(lag is not None and lag.lag == 0 and lag.pending == 0 for lag in lags):
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"admin consumers did not catch up: {lags}")


async def test_admin_users_page_of_50_costs_what_a_page_of_5_costs(stack: Stack, settings: Settings) -> None:
    admin = await staff(stack, settings, "USER,ADMIN")
    tag = secrets.token_hex(4)
    sem = asyncio.Semaphore(4)

    async def one(i: int) -> dict[str, Any]:
        async with sem:
            return await sign_up(stack, f"page-{tag}-{i:02d}@example.com", f"사용자{i}")

    users = await asyncio.gather(*(one(i) for i in range(52)))
    await record(stack, users[0]["token"], 3)
    await record(stack, users[1]["token"], 1)
    costs = []
    for first in (5, 50):
        rid = f"adm-users-{first}-{secrets.token_hex(4)}"
        r = await gql(
            stack.url,
            admin_op("AdminUsers"),
            {"search": f"page-{tag}", "first": first},
            token=admin["token"],
            headers={"x-request-id": rid},
        )
        assert "errors" not in r, r
        page = r["data"]["adminUsers"]
        assert len(page["edges"]) == first and page["pageInfo"]["hasNextPage"] is True
        costs.append(cost(rid))
    nodes = {e["node"]["id"]: e["node"] for e in page["edges"]}
    # Newest first: the 50 include the first two only if they were signed up last; check whoever is there.
    for u, n in ((users[0], 3), (users[1], 1), (users[2], 0)):
        if u["id"] in nodes:
            assert nodes[u["id"]]["measurementCount"] == n
            assert nodes[u["id"]]["subscription"] is None
            assert nodes[u["id"]]["status"] == "ACTIVE" and nodes[u["id"]]["email"] == u["email"]
    few, many = costs
    fetches = {k: v for k, v in many.items() if k.startswith("fetch")}
    assert fetches.keys() >= {"fetch auth", "fetch payment", "fetch measurement"}, many
    assert all(v == 1 for v in fetches.values()), fetches  # one fetch per subgraph for the whole page
    assert many == few, f"5 users: {few}; 50 users: {many}"
    print(f"AdminUsers, one page of 5 or 50 users: {many}")  # shown with -s

    rest = await gql(
        stack.url,
        admin_op("AdminUsers"),
        {"search": f"page-{tag}", "first": 50, "after": page["pageInfo"]["endCursor"]},
        token=admin["token"],
    )
    ids = set(nodes) | {e["node"]["id"] for e in rest["data"]["adminUsers"]["edges"]}
    assert ids == {u["id"] for u in users}
    counted = {e["node"]["id"]: e["node"]["measurementCount"] for e in rest["data"]["adminUsers"]["edges"]}
    counted |= {i: n["measurementCount"] for i, n in nodes.items()}
    assert (counted[users[0]["id"]], counted[users[1]["id"]], counted[users[2]["id"]]) == (3, 1, 0)


async def test_support_searches_but_cannot_act_and_a_plain_user_gets_nothing(
    stack: Stack, settings: Settings
) -> None:
    support = await staff(stack, settings, "USER,SUPPORT")
    user = await sign_up(stack, f"plain-{secrets.token_hex(4)}@example.com", "일반")
    found = await gql(
        stack.url, admin_op("AdminUsers"), {"search": user["email"], "first": 5}, token=support["token"]
    )
    assert [e["node"]["id"] for e in found["data"]["adminUsers"]["edges"]] == [user["id"]], found
    assert error_codes(await gql(stack.url, admin_op("SystemHealth"), token=support["token"])) == []
    for name, variables in (
        ("SuspendUser", {"userId": user["id"], "reason": "x"}),
        ("ReinstateUser", {"userId": user["id"], "reason": "x"}),
        ("GrantRole", {"userId": user["id"], "role": "ADMIN"}),
        ("AdminActions", {"first": 5}),
    ):
        r = await gql(stack.url, admin_op(name), variables, token=support["token"])
        assert error_codes(r) == ["FORBIDDEN"], (name, r)

    today = datetime.now(ZoneInfo(settings.default_time_zone)).date().isoformat()
    every: tuple[tuple[str, dict[str, Any]], ...] = (
        ("AdminUsers", {"first": 5}),
        ("AdminActions", {"first": 5}),
        ("SystemHealth", {}),
        ("Analytics", {"from": today, "to": today}),
        ("SuspendUser", {"userId": support["id"], "reason": "x"}),
        ("ReinstateUser", {"userId": support["id"], "reason": "x"}),
        ("GrantRole", {"userId": user["id"], "role": "ADMIN"}),
    )
    for name, variables in every:
        r = await gql(stack.url, admin_op(name), variables, token=user["token"])
        assert error_codes(r) == ["FORBIDDEN"], (name, r)
        assert not any((r.get("data") or {}).values()), (name, r)
    me = await gql(stack.url, "{ me { roles status } }", token=user["token"])
    assert me["data"]["me"] == {"roles": ["USER"], "status": "ACTIVE"}


# Per subgraph, a field of the user's own (or, for admin, a mutation open to anyone signed in): with a live
# token it answers (or refuses the input), with a revoked one it says UNAUTHENTICATED.
OWN_FIELD = {
    "auth": "email",
    "measurement": "measurementCount",
    "coaching": "coachingInsights { id }",
    "payment": "entitlements",
    "notification": "unreadNotificationCount",
    "data": "dataExports { id }",
    "video": "upcomingConsultations { id }",
}
REPORT_BLANK = 'mutation { reportUser(userId: "someone", reason: " ") { id } }'
# Translation has no part of User: the glossary is for staff, so a plain user's live token gets FORBIDDEN.
GLOSSARY = "{ glossary { id } }"


async def ask_each_subgraph(stack: Stack, user: dict[str, Any]) -> dict[str, list[str]]:
    answers = {}
    for row in SUBGRAPHS:
        url = stack.subgraphs[row.name]
        if row.name in ("admin", "translation"):
            op = REPORT_BLANK if row.name == "admin" else GLOSSARY
            answers[row.name] = error_codes(await gql(url, op, token=user["token"]))
            continue
        query = (
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { "
            + OWN_FIELD[row.name]
            + " } } }"
        )
        result = await gql(url, query, {"r": [{"__typename": "User", "id": user["id"]}]}, token=user["token"])
        answers[row.name] = error_codes(result)
    return answers


async def test_a_suspended_users_live_token_is_refused_at_once_everywhere_and_the_action_is_listed(
    stack: Stack, settings: Settings
) -> None:
    admin = await staff(stack, settings, "USER,ADMIN")
    user = await sign_up(stack, f"susp-{secrets.token_hex(4)}@example.com", "정지대상")
    assert set(OWN_FIELD) | {"admin", "translation"} == {row.name for row in SUBGRAPHS}, \
        "a new subgraph needs its own field"
    before = await ask_each_subgraph(stack, user)
    expected = {**{n: [] for n in OWN_FIELD}, "admin": ["BAD_USER_INPUT"], "translation": ["FORBIDDEN"]}
    assert before == expected, before
    assert "errors" not in await gql(stack.url, "{ me { id } }", token=user["token"])

    rid = "suspend-" + secrets.token_hex(4)
    done = await gql(
        stack.url,
        admin_op("SuspendUser"),
        {"userId": user["id"], "reason": "결제 사기 신고"},
        token=admin["token"],
        headers={"x-request-id": rid},
    )
    assert done["data"]["suspendUser"] == {"id": user["id"], "status": "SUSPENDED"}, done
    after = await ask_each_subgraph(stack, user)  # at once: no waiting for anything
    assert after == {row.name: ["UNAUTHENTICATED"] for row in SUBGRAPHS}, after
    assert error_codes(await gql(stack.url, "{ me { id } }", token=user["token"])) == ["UNAUTHENTICATED"]

    for _ in range(100):  # the admin subgraph folds auth's event from the stream
        listed = await gql(stack.url, admin_op("AdminActions"), {"first": 20}, token=admin["token"])
        nodes = [
            e["node"]
            for e in listed["data"]["adminActions"]["edges"]
            if e["node"]["targetUserId"] == user["id"]
        ]
        if nodes:
            break
        await asyncio.sleep(0.1)
    assert [(n["action"], n["reason"], n["actor"]) for n in nodes] == [
        ("USER_SUSPENDED", "결제 사기 신고", {"id": admin["id"], "email": admin["email"]})
    ]
    requested = await gql(
        stack.url,
        "query { adminActions(first: 20) { edges { node { targetUserId requestId } } } }",
        token=admin["token"],
    )
    assert {"targetUserId": user["id"], "requestId": rid} in [
        e["node"] for e in requested["data"]["adminActions"]["edges"]
    ]


async def test_system_health_lists_the_router_and_every_subgraph_and_store(
    stack: Stack, settings: Settings
) -> None:
    support = await staff(stack, settings, "USER,SUPPORT")
    r = await gql(stack.url, admin_op("SystemHealth"), token=support["token"])
    rows = {h["service"]: h for h in r["data"]["systemHealth"]}
    assert {"router", *(row.name for row in SUBGRAPHS)} <= rows.keys(), rows.keys()
    for row in SUBGRAPHS:
        assert rows[row.name]["status"] in ("UP", "DEGRADED") and rows[row.name]["latencyMs"] is not None
        stores = {"sql": "database", "mongo": "mongo", "redis": "redis"}
        for store in row.stores:
            found = [s for s in rows if s.startswith(f"{row.name}/") and stores[store] in s]
            assert found and all(rows[s]["status"] == "UP" for s in found), (row.name, store, rows.keys())
    assert rows["router"]["status"] == "UP"


async def test_analytics_count_exactly_what_happened_and_a_rebuild_gives_the_same(
    stack: Stack, settings: Settings
) -> None:
    admin = await staff(stack, settings, "USER,ADMIN")
    tz = ZoneInfo(settings.default_time_zone)
    today = datetime.now(tz).date()
    span = {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}
    await streams_drained(settings)
    before = (await gql(stack.url, admin_op("Analytics"), span, token=admin["token"]))["data"]["analytics"]

    people = [await sign_up(stack, f"ana-{secrets.token_hex(4)}@example.com", f"분석{i}") for i in range(3)]
    await record(stack, people[0]["token"], 4)
    await record(stack, people[1]["token"], 2)
    await streams_drained(settings)
    after = (await gql(stack.url, admin_op("Analytics"), span, token=admin["token"]))["data"]["analytics"]
    assert [d["date"] for d in after] == [(today - timedelta(days=6 - i)).isoformat() for i in range(7)]
    assert after[:-1] == before[:-1]  # other days untouched
    b, a = before[-1], after[-1]
    assert a["newUsers"] - b["newUsers"] == 3
    assert a["measurementsRecorded"] - b["measurementsRecorded"] == 6
    assert a["activeUsers"] - b["activeUsers"] == 3  # each signed up; two also measured (counted once)
    assert all(isinstance(v, int) for v in a["revenue"].values())

    rebuild = "mutation { rebuildAnalytics }"
    assert error_codes(await gql(stack.url, rebuild, token=people[0]["token"])) == ["FORBIDDEN"]
    folded = await gql(stack.url, rebuild, token=admin["token"])
    assert folded["data"]["rebuildAnalytics"] > 0, folded
    rebuilt = (await gql(stack.url, admin_op("Analytics"), span, token=admin["token"]))["data"]["analytics"]
    assert rebuilt == after


async def test_staff_actions_in_other_subgraphs_are_listed_with_actor_and_request(
    stack: Stack, settings: Settings
) -> None:
    """An admin action taken in the data subgraph (not auth) reaches `adminActions` through its stream."""
    admin = await staff(stack, settings, "USER,ADMIN")
    rids = {name: f"{name.lower()}-{secrets.token_hex(4)}" for name in ("RunIntegrityCheck", "StartBackup")}
    started: dict[str, str] = {}
    for name, rid in rids.items():
        done = await gql(stack.url, admin_op(name), token=admin["token"], headers={"x-request-id": rid})
        assert "errors" not in done, done
        started[name] = next(iter(done["data"].values()))["id"]
    support = await staff(stack, settings, "USER,SUPPORT")
    refused = await gql(stack.url, admin_op("StartBackup"), token=support["token"])
    assert error_codes(refused) == ["FORBIDDEN"]

    wanted = {("INTEGRITY_CHECK_STARTED", rids["RunIntegrityCheck"], started["RunIntegrityCheck"]),
              ("BACKUP_STARTED", rids["StartBackup"], started["StartBackup"])}
    query = ("query { adminActions(first: 50) { edges { node { action requestId reason source "
             "actor { id } } } } }")
    found: set[tuple[str, str, str]] = set()
    for _ in range(100):
        listed = await gql(stack.url, query, token=admin["token"])
        nodes = [e["node"] for e in listed["data"]["adminActions"]["edges"]]
        found = {(n["action"], n["requestId"], n["reason"]) for n in nodes
                 if n["actor"]["id"] == admin["id"] and n["source"] == "/subgraphs/data"}
        if wanted <= found:
            break
        await asyncio.sleep(0.1)
    assert wanted <= found, found
    # The refused attempt left nothing behind.
    assert all(n["actor"]["id"] != support["id"] for n in nodes)


async def test_a_doctor_verified_in_the_video_subgraph_is_an_admin_action(
    stack: Stack, settings: Settings
) -> None:
    from tests.e2e.doctors import make_doctor

    doctor = await make_doctor(stack, settings, "검증의사", "내과")
    admin = await staff(stack, settings, "USER,ADMIN")
    query = "query { adminActions(first: 50) { edges { node { action targetUserId source } } } }"
    found: list[dict[str, Any]] = []
    for _ in range(100):
        listed = await gql(stack.url, query, token=admin["token"])
        found = [e["node"] for e in listed["data"]["adminActions"]["edges"]
                 if e["node"]["targetUserId"] == doctor["id"]]
        if any(n["action"] == "DOCTOR_VERIFIED" for n in found):
            break
        await asyncio.sleep(0.1)
    assert {"action": "DOCTOR_VERIFIED", "targetUserId": doctor["id"], "source": "/subgraphs/video"} in found
    assert any(n["action"] == "ROLE_GRANTED" for n in found)  # the grant before it, from auth
