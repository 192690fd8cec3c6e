"""Sending a corpus operation to a gateway, and the normal forms its answers are compared in."""

from __future__ import annotations

from typing import Any

import httpx

from tests.router.differential.corpus import Op

Paths = list[tuple[Any, ...] | None]


def post(url: str, op: Op) -> dict[str, Any]:
    body: dict[str, Any] = {"query": op.query}
    if op.variables is not None:
        body["variables"] = op.variables
    if op.operation_name is not None:
        body["operationName"] = op.operation_name
    r = httpx.post(url, json=body, headers={"accept": "application/json"}, timeout=20)
    assert r.headers.get("content-type", "").startswith("application/"), r.text
    result: dict[str, Any] = r.json()
    return result


def error_paths(result: dict[str, Any]) -> Paths:
    """Sorted, de-duplicated error paths (None for an error without one)."""
    paths = {tuple(e["path"]) if e.get("path") else None for e in result.get("errors") or []}
    return sorted(paths, key=repr)


def as_sets(value: Any) -> Any:
    """Lists sorted: introspection returns sets of types, fields and values, in no order the spec fixes."""
    if isinstance(value, dict):
        return {k: as_sets(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((as_sets(v) for v in value), key=repr)
    return value
