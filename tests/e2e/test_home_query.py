"""The contract's Home query through the router costs a bounded number of store commands, whatever the list
sizes: a user with 1 reading (and its insight and notification) and one with 30 cost the same.

Every SQL statement and Mongo command is attributed to the request that issued it through the request id
the router forwards (background workers run under no request id), so the count covers all four subgraphs.
The user with 30 readings also holds a subscription (paid through the Toss sandbox), the other none; they
have three upcoming consultations, the other one.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from graphql import FieldNode, OperationDefinitionNode, parse, print_ast
from pymongo import monitoring
from sqlalchemy import event
from sqlalchemy.engine import Engine

from libs.config import Settings
from libs.logging import request_id_var
from libs.testing.graphql import gql
from tests.e2e.conftest import Stack, contract_operation
from tests.e2e.doctors import make_doctor, slot
from tests.e2e.test_payment_flow import subscribe

NOT_BUILT_YET: set[str] = set()


def home_query() -> str:
    op = parse(contract_operation("Home")).definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    me = op.selection_set.selections[0]
    assert isinstance(me, FieldNode) and me.selection_set is not None
    kept = tuple(
        s
        for s in me.selection_set.selections
        if not (isinstance(s, FieldNode) and s.name.value in NOT_BUILT_YET)
    )
    assert len(kept) == len(me.selection_set.selections) - len(NOT_BUILT_YET)
    me_kept = FieldNode(
        alias=me.alias,
        name=me.name,
        arguments=me.arguments,
        directives=me.directives,
        selection_set=type(me.selection_set)(selections=kept),
    )
    new_op = OperationDefinitionNode(
        operation=op.operation,
        name=op.name,
        variable_definitions=op.variable_definitions,
        directives=op.directives,
        selection_set=type(op.selection_set)(selections=(me_kept,)),
    )
    return print_ast(new_op)


class _Mongo(monitoring.CommandListener):
    def __init__(self, counts: Counter[str]) -> None:
        self.counts = counts

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        rid = request_id_var.get()
        if rid:
            self.counts[f"{rid} mongo {event.command_name}"] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


COUNTS: Counter[str] = Counter()
monitoring.register(_Mongo(COUNTS))  # before this module's stack creates its Mongo client


@pytest.fixture(autouse=True)
def _count_sql() -> Iterator[None]:
    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        rid = request_id_var.get()
        if rid and not statement.lstrip().upper().startswith("SELECT 1"):
            COUNTS[f"{rid} sql {conn.engine.url.database}"] += 1

    event.listen(Engine, "before_cursor_execute", before)
    yield
    event.remove(Engine, "before_cursor_execute", before)


def _commands(rid: str) -> dict[str, int]:
    return {k.split(" ", 1)[1]: v for k, v in COUNTS.items() if k.startswith(rid + " ")}


async def _user_with(stack: Stack, readings: int) -> tuple[str, str]:
    email = f"home-{secrets.token_hex(4)}@example.com"
    r = await gql(
        stack.url,
        contract_operation("SignUp"),
        {
            "input": {
                "email": email,
                "password": "correct horse battery staple",
                "displayName": "홈",
                "locale": "ko-KR",
            }
        },
    )
    token = r["data"]["signUp"]["tokens"]["accessToken"]
    now = datetime.now(UTC)
    inputs = [
        {
            "type": "BLOOD_GLUCOSE",
            "value": 240 + i,
            "unit": "mg/dL",
            "source": "MANUAL",
            "context": "FASTING",
            "takenAt": (now - timedelta(minutes=5 * i)).isoformat(),
            "clientId": secrets.token_hex(8),
        }
        for i in range(readings)
    ]
    recorded = await gql(stack.url, contract_operation("RecordMeasurements"), {"inputs": inputs}, token=token)
    assert "errors" not in recorded, recorded
    for _ in range(300):  # the chain turns each reading into an insight and a notification
        me = await gql(
            stack.url, "{ me { unreadNotificationCount coachingInsights(first: 50) { id } } }", token=token
        )
        data = me["data"]["me"]
        if data["unreadNotificationCount"] >= readings and len(data["coachingInsights"]) >= readings:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"chain did not deliver for {readings} readings: {me}")
    return token, r["data"]["signUp"]["user"]["id"]


async def test_home_costs_the_same_for_one_reading_and_thirty(stack: Stack, settings: Settings) -> None:
    query = home_query()
    since = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    costs = []
    doctor = await make_doctor(stack, settings, "홈닥터", f"home-{secrets.token_hex(3)}")
    starts = iter(slot(60 * (i + 1)) for i in range(4))
    for readings in (1, 30):
        token, _ = await _user_with(stack, readings)
        subscribed = readings > 1  # one user with a plan and one without cost the same
        if subscribed:
            await subscribe(stack, token)
        consultations = 3 if subscribed else 1
        for at in itertools.islice(starts, consultations):
            booked = await gql(stack.url, contract_operation("BookConsultation"),
                               {"input": {"doctorId": doctor["id"], "scheduledAt": at.isoformat()}},
                               token=token)
            assert "errors" not in booked, booked
        rid = f"home-{readings}-{secrets.token_hex(4)}"
        result = await gql(stack.url, query, {"since": since}, token=token, headers={"x-request-id": rid})
        assert "errors" not in result, result
        home = result["data"]["me"]
        assert home["measurementSummary"]["count"] == readings
        assert len(home["coachingInsights"]) == min(5, readings)
        assert all(i["measurement"]["type"] == "BLOOD_GLUCOSE" for i in home["coachingInsights"])
        assert home["unreadNotificationCount"] >= readings
        upcoming = home["upcomingConsultations"]
        assert len(upcoming) == consultations
        assert all(c["doctor"] == {"id": doctor["id"], "displayName": "홈닥터"} for c in upcoming)
        if subscribed:
            plan = home["subscription"]
            assert (plan["plan"], plan["status"]) == ("premium-monthly", "ACTIVE")
        else:
            assert home["subscription"] is None
        costs.append(_commands(rid))
    few, many = costs
    assert few, "no store command was attributed to the request: the request id did not reach the subgraphs"
    assert many == few, f"1 reading: {few}; 30 readings: {many}"
    assert sum(many.values()) <= 12, many
