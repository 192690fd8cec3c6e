"""Telemetry through real processes: the router, the auth subgraph and video's event workers, each its own
process exporting spans over OTLP/HTTP to a collector in this test, and serving /metrics.

One sign-up must make one trace: the router's request span, its fetch to auth, auth's request span (a child of
that fetch through `traceparent`), and video's handling of `user.signed_up` (a child of the span that created
the event, through the CloudEvent's `traceparent` attribute).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from libs.config import Settings
from libs.events.streams import AUTH_STREAM
from libs.testing import free_port
from libs.testing.graphql import error_codes, gql
from libs.testing.operations import contract_operation
from libs.testing.otlp import Collector, ReceivedSpan, otlp_collector
from libs.testing.router import router_process
from subgraphs.video.service import AUTH_GROUP

ROOT = Path(__file__).resolve().parents[2]
SERVER, CLIENT, CONSUMER = 2, 3, 5  # opentelemetry.proto.trace.v1.Span.SpanKind


@dataclass
class Stack:
    router: str  # base URL
    auth: str  # base URL
    worker_metrics: str  # video workers' /metrics
    collector: Collector
    logs: dict[str, Path]  # process -> its output


def _env(settings: Settings, collector: Collector, service: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MANPASIK_ENV="test", DATABASE_URL=str(settings.database_url), DB_SUFFIX=settings.db_suffix,
        MONGODB_URL=settings.mongodb_url, REDIS_URL=settings.redis_url, REDIS_PREFIX=settings.redis_prefix,
        JWT_SECRET=settings.jwt_secret, DATA_DIR=str(settings.data_dir), LOG_JSON="true", LOG_LEVEL="DEBUG",
        OTEL_EXPORTER_OTLP_ENDPOINT=collector.url, OTEL_SERVICE_NAME=service,
        OTEL_BSP_SCHEDULE_DELAY="100",  # ms: export soon, the test waits for the spans
    )
    return env


@asynccontextmanager
async def _process(args: list[str], env: dict[str, str], out: IO[bytes],
                   ready: Callable[[], Any]) -> AsyncIterator[None]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "manpasik", *args, cwd=ROOT, env=env,
                                                stdout=out, stderr=asyncio.subprocess.STDOUT)
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                if proc.returncode is not None:
                    raise AssertionError(f"{args} exited: {await asyncio.to_thread(_tail, out.name)}")
                try:
                    if (await client.get(ready())).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"{args} not ready after 60 s")
        yield
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()


@pytest.fixture(scope="module")
async def stack(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    # A key space of its own: no other suite's workers take these events.
    prefix = settings.redis_prefix + f"otel{secrets.token_hex(3)}:"
    ours = settings.model_copy(update={"redis_prefix": prefix})
    logs_dir = tmp_path_factory.mktemp("telemetry")
    logs = {name: logs_dir / f"{name}.log" for name in ("auth", "video-worker", "router")}
    async with AsyncExitStack() as stack, otlp_collector() as collector:
        files = {name: stack.enter_context(path.open("wb")) for name, path in logs.items()}
        auth_port, metrics_port = free_port(), free_port()
        auth = f"http://127.0.0.1:{auth_port}"
        await stack.enter_async_context(_process(
            ["subgraph", "auth", "--port", str(auth_port)], _env(ours, collector, "auth"), files["auth"],
            lambda: auth + "/ready"))
        worker_env = _env(ours, collector, "video-worker")
        worker_env["WORKER_METRICS_PORT"] = str(metrics_port)
        worker_metrics = f"http://127.0.0.1:{metrics_port}/metrics"
        await stack.enter_async_context(_process(
            ["worker", "video"], worker_env, files["video-worker"], lambda: worker_metrics))
        otel = {k: v for k, v in _env(ours, collector, "router").items() if k.startswith(("OTEL_", "LOG_"))}
        router = await stack.enter_async_context(
            router_process({"auth": auth + "/graphql"}, ours, env=otel, stderr=files["router"].fileno()))
        yield Stack(router, auth, worker_metrics, collector, logs)


def _one(spans: list[ReceivedSpan], **match: Any) -> ReceivedSpan:
    found = [s for s in spans if all(getattr(s, k) == v for k, v in match.items())]
    assert len(found) == 1, (match, [(s.service, s.name, s.parent_span_id) for s in spans])
    return found[0]


async def test_one_trace_spans_router_subgraph_and_event_consumer(stack: Stack) -> None:
    email = f"otel-{secrets.token_hex(4)}@example.com"
    result = await gql(stack.router + "/graphql", contract_operation("SignUp"), {"input": {
        "email": email, "password": "a long enough passphrase 42", "displayName": "Otel", "locale": "ko-KR"}})
    assert "errors" not in result, result
    user_id = result["data"]["signUp"]["user"]["id"]

    def complete(spans: list[ReceivedSpan]) -> bool:
        return any(s.service == "router" and s.name == "mutation SignUp" for s in spans) and any(
            s.service == "video-worker" and s.attributes.get("messaging.message.id") is not None
            and s.attributes.get("cloudevents.event_type") == "user.signed_up" for s in spans)

    await stack.collector.wait_for(complete)
    spans = stack.collector.spans
    request = _one(spans, service="router", name="mutation SignUp")
    assert request.kind == SERVER and request.parent_span_id == ""  # the client sent no traceparent
    assert request.attributes["graphql.operation.name"] == "SignUp"
    trace = [s for s in spans if s.trace_id == request.trace_id]
    fetch = _one(trace, service="router", name="fetch auth")
    assert fetch.kind == CLIENT and fetch.parent_span_id == request.span_id
    served = _one(trace, service="auth", kind=SERVER)
    assert served.parent_span_id == fetch.span_id  # auth continued the router's traceparent
    assert served.name == "mutation signUp" and served.attributes["graphql.operation.type"] == "mutation"
    consumed = _one(trace, service="video-worker", name="process user.signed_up")
    assert consumed.kind == CONSUMER
    assert consumed.parent_span_id == served.span_id  # the event was created under auth's request span
    assert consumed.attributes["messaging.destination.name"] == AUTH_STREAM
    assert consumed.attributes["messaging.consumer.group.name"] == AUTH_GROUP

    # Log lines carry the ids that lead to this trace: auth's operation line (request id from the router,
    # trace and span of auth's request) and the worker's handling line (trace and span of the consumer span).
    await asyncio.sleep(0.3)
    auth_lines = _json_lines(stack.logs["auth"])
    [op_line] = [ln for ln in auth_lines if ln.get("operation") == "signUp"]
    assert op_line["trace_id"] == request.trace_id and op_line["span_id"] == served.span_id
    assert op_line["request_id"] and op_line["service"] == "auth"
    worker_lines = _json_lines(stack.logs["video-worker"])
    handled = [ln for ln in worker_lines if "user.signed_up" in str(ln.get("message"))
               and ln.get("span_id") == consumed.span_id]
    assert handled and handled[0]["trace_id"] == request.trace_id
    assert user_id  # a real account was made


async def test_a_client_traceparent_is_continued(stack: Stack) -> None:
    trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
    result = await gql(stack.router + "/graphql", "query Keys { __typename }",
                       headers={"traceparent": f"00-{trace_id}-{parent}-01", "x-request-id": "req-otel-1"})
    assert result == {"data": {"__typename": "Query"}}
    await stack.collector.wait_for(lambda spans: any(s.trace_id == trace_id for s in spans))
    span = _one(stack.collector.spans, trace_id=trace_id, service="router")
    assert span.parent_span_id == parent and span.name == "query Keys"


def _tail(path: str) -> str:
    return Path(path).read_text()[-3000:]


def _json_lines(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_move_by_what_was_asked(stack: Stack) -> None:
    async with httpx.AsyncClient() as client:
        async def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
            r = await client.get(url)
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
            return _samples(r.text)

        router0, auth0 = await scrape(stack.router + "/metrics"), await scrape(stack.auth + "/metrics")
        email = f"otel-m-{secrets.token_hex(4)}@example.com"
        url = stack.router + "/graphql"
        ok = await gql(url, contract_operation("SignUp"), {"input": {
            "email": email, "password": "a long enough passphrase 42", "displayName": "M"}})
        assert "errors" not in ok, ok
        login = {"input": {"email": email, "password": "wrong" * 3}}
        wrong = await gql(url, contract_operation("LogIn"), login)
        assert error_codes(wrong) == ["UNAUTHENTICATED"]
        invalid = await gql(url, "query Nope { noSuchField }")
        assert error_codes(invalid) == ["GRAPHQL_VALIDATION_FAILED"]
        router1, auth1 = await scrape(stack.router + "/metrics"), await scrape(stack.auth + "/metrics")

    def moved(before: Any, after: Any, name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert moved(router0, router1, "router_requests_total", operation="SignUp", type="mutation") == 1
    assert moved(router0, router1, "router_requests_total", operation="LogIn", type="mutation") == 1
    assert moved(router0, router1, "router_requests_total", operation="anonymous", type="invalid") == 1
    assert moved(router0, router1, "router_errors_total", code="UNAUTHENTICATED") == 1
    assert moved(router0, router1, "router_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert moved(router0, router1, "router_subgraph_requests_total", subgraph="auth", outcome="ok") == 2
    assert moved(router0, router1, "router_request_duration_seconds_count", operation="SignUp") == 1
    assert moved(router0, router1, "router_subgraph_request_duration_seconds_count", subgraph="auth") == 2
    # The subgraph names the router's unnamed fetches by their root fields.
    assert moved(auth0, auth1, "subgraph_requests_total", service="auth", operation="signUp",
                 type="mutation") == 1
    assert moved(auth0, auth1, "subgraph_requests_total", service="auth", operation="logIn",
                 type="mutation") == 1
    assert moved(auth0, auth1, "subgraph_errors_total", service="auth", code="UNAUTHENTICATED") == 1
    assert _value(router1, "process_cpu_seconds_total") > 0


async def test_worker_metrics_show_events_handled_and_consumer_lag(stack: Stack) -> None:
    ours = {"stream": AUTH_STREAM, "group": AUTH_GROUP}
    async with httpx.AsyncClient() as client:
        for _ in range(100):  # the sign-ups above are handled by now or soon
            samples = _samples((await client.get(stack.worker_metrics)).text)
            if _value(samples, "events_handled_total", **ours, outcome="ok") >= 2:
                break
            await asyncio.sleep(0.1)
    assert _value(samples, "events_handled_total", **ours, outcome="ok") >= 2  # both sign-ups
    assert (("event_consumer_lag", (("group", AUTH_GROUP), ("stream", AUTH_STREAM))) in samples)
    assert _value(samples, "event_dead_letters", stream=AUTH_STREAM, group=AUTH_GROUP) == 0


DASHBOARD = ROOT / "docker" / "grafana" / "dashboards" / "manpasik.json"
METRIC_NAME = re.compile(r"\b(?:router|subgraph|events?|process)_[a-z_]+\b")


async def test_every_metric_the_dashboard_reads_is_exported(stack: Stack) -> None:
    exported: set[str] = set()
    async with httpx.AsyncClient() as client:
        for url in (stack.router + "/metrics", stack.auth + "/metrics", stack.worker_metrics):
            for family in text_string_to_metric_families((await client.get(url)).text):
                exported.add(family.name)  # also families without samples yet (no refusal so far)
                exported |= {s.name for s in family.samples}
                suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
                exported |= {family.name + s for s in suffixes.get(family.type, ())}
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", ())]
    assert len(exprs) >= 15
    referenced = {name for e in exprs for name in METRIC_NAME.findall(e)}
    assert {"router_errors_total", "router_rate_limited_total", "router_subgraph_breaker_state",
            "event_consumer_lag", "subgraph_errors_total"} <= referenced
    assert referenced <= exported, referenced - exported
