"""@defer through the router process, as Apollo Kotlin / Apollo iOS / Apollo Client receive it: multipart HTTP
(`multipart/mixed;deferSpec=20220824`) and graphql-transport-ws (`next` payloads, then `complete`).

The contract's Home query runs over five fixture subgraphs shaped like the project's (profile, coaching,
billing, video, notifications); coaching answers only after DELAY seconds, so a deferred fragment holding
its fields must let the first payload arrive before coaching has answered.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
from graphql import (
    FieldNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    print_ast,
)
from graphql.language import DirectiveNode

from libs.testing.operations import contract_operation
from router.defer.deliver import _merge
from tests.router.conftest import running_subgraphs
from tests.router.support.fixture_subgraph import FixtureSubgraph
from tests.router.support.live_subgraph import REPO, RouterProcess, router_over

DELAY = 1.5  # seconds the coaching subgraph takes to answer
DEFER_ACCEPT = "multipart/mixed;deferSpec=20220824,application/graphql-response+json,application/json;q=0.9"
LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'
SDL = {
    "profile": LINK
    + """
scalar DateTime
enum MeasurementType { BLOOD_GLUCOSE HEART_RATE }
type Query { me: User }
type User @key(fields: "id") {
  id: ID!
  displayName: String!
  locale: String!
  latestMeasurements: [Measurement!]!
  measurementSummary(type: MeasurementType!, since: DateTime!): MeasurementSummary
}
type Measurement @key(fields: "id") {
  id: ID!
  type: MeasurementType!
  value: Float!
  unit: String!
  takenAt: DateTime!
  components: [Component!]!
}
type Component { code: String! value: Float! unit: String! }
type MeasurementSummary { count: Int! average: Float min: Float max: Float }
""",
    "coaching": LINK
    + """
type User @key(fields: "id") { id: ID! coachingInsights(first: Int): [Insight!]! }
type Insight {
  id: ID!
  severity: String!
  title: String!
  message: String!
  createdAt: String!
  measurement: Measurement
}
type Measurement @key(fields: "id", resolvable: false) { id: ID! }
""",
    "billing": LINK
    + """
type User @key(fields: "id") { id: ID! subscription: Plan }
type Plan { id: ID! plan: String! status: String! currentPeriodEnd: String }
""",
    "video": LINK
    + """
type User @key(fields: "id") { id: ID! upcomingConsultations: [Consultation!]! }
type Consultation { id: ID! scheduledAt: String! status: String! doctor: Doctor! }
type Doctor { id: ID! displayName: String! }
""",
    "notify": LINK
    + """
type User @key(fields: "id") { id: ID! unreadNotificationCount: Int! }
type Mutation { markAllRead: ReadResult! }
type ReadResult { count: Int! user: User }
""",
}


def _measurement(i: int, value: float) -> dict[str, Any]:
    return {
        "id": f"m{i}",
        "type": "BLOOD_GLUCOSE",
        "value": value,
        "unit": "mg/dL",
        "takenAt": f"2026-12-0{i}T07:00:00Z",
        "components": [],
    }


def _insight(i: int) -> dict[str, Any]:
    return {
        "id": f"i{i}",
        "severity": "WARNING" if i == 1 else "INFO",
        "title": f"insight {i}",
        "message": "glucose above range" if i == 1 else "steady",
        "createdAt": "2026-12-01T08:00:00Z",
        "measurement": {"__typename": "Measurement", "id": f"m{i}"},
    }


DATA: dict[str, dict[str, Any]] = {
    "profile": {
        "Query": {"me": {"__typename": "User", "id": "u1"}},
        "entities": {
            "User": [
                {
                    "id": "u1",
                    "displayName": "김민지",
                    "locale": "ko-KR",
                    "latestMeasurements": [
                        {"__typename": "Measurement", "id": "m1"},
                        {"__typename": "Measurement", "id": "m2"},
                    ],
                    "measurementSummary": {"count": 2, "average": 130.5, "min": 101.0, "max": 160.0},
                }
            ],
            "Measurement": [_measurement(1, 160.0), _measurement(2, 101.0)],
        },
    },
    "coaching": {
        "delay": DELAY,
        "entities": {"User": [{"id": "u1", "coachingInsights": [_insight(1), _insight(2)]}]},
    },
    "billing": {
        "entities": {
            "User": [
                {
                    "id": "u1",
                    "subscription": {
                        "id": "s1",
                        "plan": "PREMIUM",
                        "status": "ACTIVE",
                        "currentPeriodEnd": None,
                    },
                }
            ]
        }
    },
    "video": {
        "entities": {
            "User": [
                {
                    "id": "u1",
                    "upcomingConsultations": [
                        {
                            "id": "c1",
                            "scheduledAt": "2026-12-03T10:00:00Z",
                            "status": "CONFIRMED",
                            "doctor": {"id": "d1", "displayName": "이준호"},
                        }
                    ],
                }
            ]
        }
    },
    "notify": {
        "entities": {"User": [{"id": "u1", "unreadNotificationCount": 3}]},
        "Mutation": {"markAllRead": {"count": 3, "user": {"__typename": "User", "id": "u1"}}},
    },
}
SLOW_FIELDS = ("coachingInsights",)
SINCE = {"since": "2026-11-01T00:00:00Z"}


def home_with_defer(deferred: tuple[str, ...] = SLOW_FIELDS, label: str | None = "slow") -> str:
    """The contract's Home query with `deferred` fields of `me` moved into `... on User @defer(label:)`."""
    doc = parse(contract_operation("Home"))
    op = doc.definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    me = op.selection_set.selections[0]
    assert isinstance(me, FieldNode) and me.selection_set is not None
    keep = [
        s for s in me.selection_set.selections if not (isinstance(s, FieldNode) and s.name.value in deferred)
    ]
    moved = [s for s in me.selection_set.selections if isinstance(s, FieldNode) and s.name.value in deferred]
    assert moved, deferred
    args: tuple[Any, ...] = ()
    if label is not None:
        from graphql.language import ArgumentNode, StringValueNode

        args = (ArgumentNode(name=NameNode(value="label"), value=StringValueNode(value=label)),)
    frag = InlineFragmentNode(
        type_condition=NamedTypeNode(name=NameNode(value="User")),
        directives=(DirectiveNode(name=NameNode(value="defer"), arguments=args),),
        selection_set=SelectionSetNode(selections=tuple(moved)),
    )
    new_me = FieldNode(
        alias=me.alias,
        name=me.name,
        arguments=me.arguments,
        directives=me.directives,
        selection_set=SelectionSetNode(selections=(*keep, frag)),
    )
    kept = {k: getattr(op, k) for k in op.keys if k not in ("loc", "selection_set")}
    return print_ast(op.__class__(**kept, selection_set=SelectionSetNode(selections=(new_me,))))


@pytest.fixture(scope="module")
async def subgraphs() -> AsyncIterator[dict[str, FixtureSubgraph]]:
    async with running_subgraphs(SDL, DATA) as subs:
        yield subs


@pytest.fixture(scope="module")
async def router(subgraphs: dict[str, FixtureSubgraph]) -> AsyncIterator[RouterProcess]:
    extra = [a for n, s in subgraphs.items() if n != "profile" for a in ("--subgraph", f"{n}={s.url}")]
    async with router_over(subgraphs["profile"].url, *extra) as r:
        yield r


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def multipart(
    http: aiohttp.ClientSession, url: str, query: str, variables: dict[str, Any] | None = None
) -> list[tuple[float, dict[str, Any]]]:
    """The parts of a multipart @defer response with the seconds (since sending) each one arrived after."""
    start = time.monotonic()
    out: list[tuple[float, dict[str, Any]]] = []
    body = {"query": query, "variables": variables or {}}
    async with http.post(url, json=body, headers={"accept": DEFER_ACCEPT}) as r:
        assert r.status == 200, await r.text()
        assert r.headers["content-type"] == 'multipart/mixed;boundary="graphql";deferSpec=20220824'
        buf = b""
        async for chunk in r.content.iter_any():
            buf += chunk
            # a part is complete once the boundary after it has arrived
            while True:
                head = buf.find(b"\r\n\r\n")
                close = buf.find(b"\r\n--graphql", head if head >= 0 else 0)
                if head < 0 or close < 0:
                    break
                out.append((time.monotonic() - start, orjson.loads(buf[head + 4 : close])))
                buf = buf[close + len(b"\r\n--graphql") :]
        assert buf in (b"--\r\n", b"--\r\n\r\n") or buf.endswith(b"--\r\n"), buf
    return out


async def over_websocket(
    http: aiohttp.ClientSession, url: str, query: str, variables: dict[str, Any] | None = None
) -> tuple[list[tuple[float, dict[str, Any]]], dict[str, Any]]:
    """graphql-transport-ws: the `next` payloads (with arrival times since `subscribe`), then `complete`."""
    async with http.ws_connect(url.replace("http", "ws", 1), protocols=("graphql-transport-ws",)) as ws:
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        start = time.monotonic()
        await ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables or {}}}
        )
        nexts: list[tuple[float, dict[str, Any]]] = []
        while True:
            msg = await ws.receive_json(timeout=10)
            if msg["type"] == "ping":
                await ws.send_json({"type": "pong"})
                continue
            assert msg["id"] == "1", msg
            if msg["type"] != "next":
                return nexts, msg
            nexts.append((time.monotonic() - start, msg["payload"]))


async def whole(
    http: aiohttp.ClientSession, url: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    async with http.post(url, json={"query": query, "variables": variables}) as r:
        assert r.status == 200
        result: dict[str, Any] = await r.json()
        return result


def merged(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """The final result a client builds from the payloads (each incremental item merged at its path)."""
    data = payloads[0]["data"]
    for p in payloads[1:]:
        for item in p.get("incremental", ()):
            target = data
            for step in item["path"]:
                target = target[step]
            if item["data"] is not None:
                _merge(target, item["data"])
    return data


# -- the Home screen: profile and latest readings first, the slow fields after ----------------------------
async def test_home_first_payload_before_the_slow_subgraph_over_multipart(
    router: RouterProcess, http: aiohttp.ClientSession, subgraphs: dict[str, FixtureSubgraph]
) -> None:
    expected = await whole(http, router.url, contract_operation("Home"), SINCE)
    assert (
        "errors" not in expected
        and expected["data"]["me"]["coachingInsights"][0]["measurement"]["value"] == 160.0
    )
    parts = await multipart(http, router.url, home_with_defer(), SINCE)
    (t0, first), *rest = parts
    assert first["hasNext"] is True
    me = first["data"]["me"]
    assert me["displayName"] == "김민지" and [m["id"] for m in me["latestMeasurements"]] == ["m1", "m2"]
    assert "coachingInsights" not in me and me["unreadNotificationCount"] == 3
    assert t0 < DELAY, f"first payload after {t0:.2f}s: it waited for the slow subgraph"
    assert len(rest) == 1
    t1, last = rest[0]
    assert t1 >= DELAY and last["hasNext"] is False
    assert last["incremental"] == [
        {
            "data": {"coachingInsights": expected["data"]["me"]["coachingInsights"]},
            "path": ["me"],
            "label": "slow",
        }
    ]
    assert merged([p for _, p in parts]) == expected["data"]


async def test_home_first_payload_before_the_slow_subgraph_over_websocket(
    router: RouterProcess, http: aiohttp.ClientSession
) -> None:
    expected = await whole(http, router.url, contract_operation("Home"), SINCE)
    nexts, end = await over_websocket(http, router.url, home_with_defer(), SINCE)
    assert end == {"id": "1", "type": "complete"}
    assert [p.get("hasNext") for _, p in nexts] == [True, False]
    assert nexts[0][0] < DELAY <= nexts[1][0]
    assert "coachingInsights" not in nexts[0][1]["data"]["me"]
    assert nexts[1][1]["incremental"][0]["label"] == "slow"
    assert merged([p for _, p in nexts]) == expected["data"]


@pytest.mark.parametrize("link", ["http", "ws"])
async def test_apollo_client_4_shows_the_home_screen_in_two_steps(
    router: RouterProcess, http: aiohttp.ClientSession, link: str
) -> None:
    """Apollo Client 4 with its deferSpec=20220824 handler (HttpLink: multipart; GraphQLWsLink): a first
    result without the slow fields, streaming, then the complete one (Apollo Kotlin / iOS in the mobile apps
    read the same format)."""
    node = shutil.which("node")
    if node is None or not (REPO / "tools" / "node" / "node_modules" / "@apollo" / "client").exists():
        pytest.skip("Node.js and tools/node/node_modules are needed (tools/ci-extras.sh installs them)")
    expected = (await whole(http, router.url, contract_operation("Home"), SINCE))["data"]
    proc = await asyncio.create_subprocess_exec(
        node,
        str(REPO / "tools" / "node" / "defer.mjs"),
        link,
        router.url,
        home_with_defer(),
        json.dumps(SINCE),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    lines = [json.loads(x) for x in out.decode().splitlines()]
    assert lines[-1] == {"complete": True}, (lines, err.decode()[-2000:])
    first, last = lines[0]["next"], lines[-2]["next"]
    assert first["dataState"] == "streaming" and last["dataState"] == "complete"
    assert "coachingInsights" not in first["data"]["me"] and first["data"]["me"]["displayName"] == "김민지"
    assert first["ms"] < DELAY * 1000 <= last["ms"]
    assert _without_typename(last["data"]) == expected


def _without_typename(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_typename(v) for k, v in value.items() if k != "__typename"}
    if isinstance(value, list):
        return [_without_typename(v) for v in value]
    return value


# -- labels, if:, lists, nesting ------------------------------------------------------------------------
async def test_unlabelled_fragment_has_no_label(router: RouterProcess, http: aiohttp.ClientSession) -> None:
    parts = await multipart(http, router.url, home_with_defer(("subscription",), label=None), SINCE)
    assert [p for _, p in parts][1]["incremental"] == [
        {"data": {"subscription": DATA["billing"]["entities"]["User"][0]["subscription"]}, "path": ["me"]}
    ]


async def test_several_labels_each_with_their_fragment(
    router: RouterProcess, http: aiohttp.ClientSession
) -> None:
    q = """query($since: DateTime!) { me {
      id
      ... on User @defer(label: "coach") { coachingInsights(first: 5) { id } }
      ... @defer(label: "summary") { measurementSummary(type: BLOOD_GLUCOSE, since: $since) { count } }
    } }"""
    parts = [p for _, p in await multipart(http, router.url, q, SINCE)]
    assert parts[0] == {"data": {"me": {"id": "u1"}}, "hasNext": True}
    items = [i for p in parts[1:] for i in p["incremental"]]
    by_label = {i["label"]: i for i in items}
    assert by_label == {
        "summary": {"data": {"measurementSummary": {"count": 2}}, "path": ["me"], "label": "summary"},
        "coach": {
            "data": {"coachingInsights": [{"id": "i1"}, {"id": "i2"}]},
            "path": ["me"],
            "label": "coach",
        },
    }
    assert [i["label"] for i in items] == [
        "summary",
        "coach",
    ]  # the fast one is not held back by the slow one
    assert parts[-1]["hasNext"] is False and all(p["hasNext"] for p in parts[:-1])


async def test_defer_if_false_inlines_and_json_clients_get_the_whole_result(
    router: RouterProcess, http: aiohttp.ClientSession
) -> None:
    q = """query($since: DateTime!, $d: Boolean = true) { me {
      id ... @defer(if: $d, label: "s") { measurementSummary(type: BLOOD_GLUCOSE, since: $since) { max } }
    } }"""
    want = {"data": {"me": {"id": "u1", "measurementSummary": {"max": 160.0}}}}
    # a client that reads only JSON: whole result when nothing is deferred ...
    assert await whole(http, router.url, q, {**SINCE, "d": False}) == want
    # ... and Apollo Router's 406 DEFER_BAD_HEADER when something would be (the default of $d is true)
    async with http.post(router.url, json={"query": q, "variables": SINCE}) as r:
        assert r.status == 406
        body = await r.json()
        assert body["errors"][0]["extensions"]["code"] == "DEFER_BAD_HEADER"
    # a multipart client with if: false gets one ordinary result
    async with http.post(
        router.url, json={"query": q, "variables": {**SINCE, "d": False}}, headers={"accept": DEFER_ACCEPT}
    ) as r:
        assert r.status == 200 and r.content_type == "application/graphql-response+json"
        assert await r.json() == want
    # and with if: true (the default) the fragment comes separately
    parts = [p for _, p in await multipart(http, router.url, q, SINCE)]
    assert parts == [
        {"data": {"me": {"id": "u1"}}, "hasNext": True},
        {
            "incremental": [{"data": {"measurementSummary": {"max": 160.0}}, "path": ["me"], "label": "s"}],
            "hasNext": False,
        },
    ]


async def test_defer_inside_a_list_answers_each_object(
    router: RouterProcess, http: aiohttp.ClientSession
) -> None:
    q = """{ me { latestMeasurements { id ... on Measurement @defer(label: "detail") { value unit } } } }"""
    parts = [p for _, p in await multipart(http, router.url, q)]
    assert parts[0] == {"data": {"me": {"latestMeasurements": [{"id": "m1"}, {"id": "m2"}]}}, "hasNext": True}
    items = [i for p in parts[1:] for i in p["incremental"]]
    assert items == [
        {
            "data": {"value": 160.0, "unit": "mg/dL"},
            "path": ["me", "latestMeasurements", 0],
            "label": "detail",
        },
        {
            "data": {"value": 101.0, "unit": "mg/dL"},
            "path": ["me", "latestMeasurements", 1],
            "label": "detail",
        },
    ]


async def test_nested_defer_across_subgraphs_comes_after_its_parent(
    router: RouterProcess, http: aiohttp.ClientSession
) -> None:
    q = """{ me { id ... @defer(label: "outer") {
      coachingInsights(first: 5) { id ...I @defer(label: "inner") }
    } } }
    fragment I on Insight { measurement { value } }"""
    parts = [p for _, p in await multipart(http, router.url, q)]
    assert parts[0] == {"data": {"me": {"id": "u1"}}, "hasNext": True}
    items = [i for p in parts[1:] for i in p["incremental"]]
    assert [i["label"] for i in items] == ["outer", "inner", "inner"]
    assert items[0] == {
        "data": {"coachingInsights": [{"id": "i1"}, {"id": "i2"}]},
        "path": ["me"],
        "label": "outer",
    }
    assert items[1:] == [
        {"data": {"measurement": {"value": 160.0}}, "path": ["me", "coachingInsights", 0], "label": "inner"},
        {"data": {"measurement": {"value": 101.0}}, "path": ["me", "coachingInsights", 1], "label": "inner"},
    ]
    assert merged(parts)["me"]["coachingInsights"][1] == {"id": "i2", "measurement": {"value": 101.0}}


async def test_defer_at_the_root_and_a_fragment_holding_only_a_nested_defer(
    router: RouterProcess, http: aiohttp.ClientSession
) -> None:
    q = '{ ... @defer(label: "root") { who: me { id ... @defer { ... @defer(label: "in") { locale } } } } }'
    parts = [p for _, p in await multipart(http, router.url, q)]
    assert parts[0] == {"data": {}, "hasNext": True}
    items = [i for p in parts[1:] for i in p["incremental"]]
    assert items == [
        {"data": {"who": {"id": "u1"}}, "path": [], "label": "root"},
        {"data": {}, "path": ["who"]},  # its only content is deferred again
        {"data": {"locale": "ko-KR"}, "path": ["who"], "label": "in"},
    ]
    assert merged(parts) == {"who": {"id": "u1", "locale": "ko-KR"}}


# -- errors ---------------------------------------------------------------------------------------------
@pytest.fixture
def failing(subgraphs: dict[str, FixtureSubgraph]) -> Any:
    def fail(subgraph: str, coordinate: str) -> None:
        subgraphs[subgraph].data.setdefault("errors", {})[coordinate] = {
            "message": "boom",
            "code": "UNAVAILABLE",
        }

    yield fail
    for s in subgraphs.values():
        s.data.pop("errors", None)


async def test_error_in_a_deferred_part_stays_in_that_part(
    router: RouterProcess, http: aiohttp.ClientSession, failing: Any
) -> None:
    failing("billing", "User.subscription")
    parts = [p for _, p in await multipart(http, router.url, home_with_defer(("subscription",)), SINCE)]
    assert "errors" not in parts[0] and parts[0]["data"]["me"]["displayName"] == "김민지"
    (item,) = parts[1]["incremental"]
    assert item["data"] == {"subscription": None} and item["path"] == ["me"] and item["label"] == "slow"
    assert [e["path"] for e in item["errors"]] == [["me", "subscription"]]
    assert parts[1]["hasNext"] is False


async def test_non_null_error_in_a_deferred_part_nulls_only_that_fragment(
    router: RouterProcess, http: aiohttp.ClientSession, failing: Any
) -> None:
    failing("notify", "User.unreadNotificationCount")
    parts = [
        p for _, p in await multipart(http, router.url, home_with_defer(("unreadNotificationCount",)), SINCE)
    ]
    assert "errors" not in parts[0] and parts[0]["data"]["me"]["id"] == "u1"
    (item,) = parts[1]["incremental"]
    assert item["data"] is None and item["path"] == ["me"]
    assert [e["path"] for e in item["errors"]] == [["me", "unreadNotificationCount"]]


async def test_bad_requests_with_defer_are_refused_before_streaming(
    router: RouterProcess, http: aiohttp.ClientSession
) -> None:
    cases = {
        "{ me { ... @defer(label: 1) { id } } }": "GRAPHQL_VALIDATION_FAILED",
        "{ me { ... @defer { nope } } }": "GRAPHQL_VALIDATION_FAILED",
        "{ me { id @defer } }": "GRAPHQL_VALIDATION_FAILED",  # not on a field
        # not on a mutation's root fields (they run in order)
        "mutation { ... @defer { markAllRead { count } } }": "GRAPHQL_VALIDATION_FAILED",
        "{ me { ... @defer { id }": "GRAPHQL_PARSE_FAILED",
        # $s is missing, and only the deferred fragment uses it
        "query($s: DateTime!) { me { ... @defer { measurementSummary(type: HEART_RATE, since: $s) { min } } } }": (  # noqa: E501
            "BAD_USER_INPUT"
        ),
    }
    for q, code in cases.items():
        async with http.post(router.url, json={"query": q}, headers={"accept": DEFER_ACCEPT}) as r:
            assert r.status == 400, (q, r.status)
            assert r.content_type == "application/graphql-response+json"
            assert (await r.json())["errors"][0]["extensions"]["code"] == code, q


async def test_defer_in_a_mutation_is_answered_at_once(
    router: RouterProcess, http: aiohttp.ClientSession, subgraphs: dict[str, FixtureSubgraph]
) -> None:
    # re-selecting a mutation's path would run it again: its fragments stay in the one result
    calls = len([r for r in subgraphs["notify"].requests if "markAllRead" in r["body"]["query"]])
    q = 'mutation { markAllRead { count ... @defer(label: "m") { user { displayName } } } }'
    async with http.post(router.url, json={"query": q}, headers={"accept": DEFER_ACCEPT}) as r:
        assert r.status == 200
        assert await r.json() == {"data": {"markAllRead": {"count": 3, "user": {"displayName": "김민지"}}}}
    assert len([r for r in subgraphs["notify"].requests if "markAllRead" in r["body"]["query"]]) == calls + 1
