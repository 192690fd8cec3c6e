"""One Strawberry extension per operation (never per resolver: Strawberry's own OpenTelemetry extension
opens a span per resolver, which costs more than most of our resolvers): counts the operation, its latency
and its error codes, and names the request's span after it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from time import perf_counter

from graphql import FieldNode, OperationDefinitionNode
from opentelemetry import trace
from strawberry.extensions import SchemaExtension

from libs.telemetry import metrics

log = logging.getLogger("manpasik.graphql.operations")


class OperationTelemetry(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = perf_counter()
        yield
        ctx = self.execution_context
        service = metrics.service_var.get()
        try:
            op_type = ctx.operation_type.value
        except Exception:  # no document (a parse error) or no such operation
            op_type = "invalid"
        name = ctx.operation_name or _root_fields(ctx.graphql_document) or "anonymous"
        requests, latency = metrics.operation(service, name, op_type)
        requests.inc()
        elapsed = perf_counter() - started
        if op_type != "subscription":  # a subscription's "latency" would be how long it stayed open
            latency.observe(elapsed)
        result = ctx.result
        errors = list(getattr(result, "errors", None) or ctx.pre_execution_errors or ())
        codes = [str((e.extensions or {}).get("code") or "INTERNAL_SERVER_ERROR") for e in errors]
        if codes:
            metrics.count_errors(service, codes)
        if log.isEnabledFor(logging.DEBUG):  # an access log, for LOG_LEVEL=DEBUG
            log.debug("%s %s in %.1f ms", op_type, name, elapsed * 1000,
                      extra={"operation": name, "error_codes": codes})
        span = trace.get_current_span()
        if span.is_recording():
            span.update_name(f"{op_type} {name}")
            span.set_attribute("graphql.operation.type", op_type)
            span.set_attribute("graphql.operation.name", name)
            if codes:
                span.set_attribute("graphql.error.codes", sorted(set(codes)))


def _root_fields(document: object) -> str | None:
    """The root fields' names of an unnamed operation (the router's fetches are unnamed): `_entities`."""
    for definition in getattr(document, "definitions", ()):
        if isinstance(definition, OperationDefinitionNode):
            names = sorted({s.name.value for s in definition.selection_set.selections
                            if isinstance(s, FieldNode) and s.name.value != "__typename"})
            return ",".join(names[:4]) or None
    return None
