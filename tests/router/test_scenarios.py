"""Planner + executor scenarios (see support/scenario.py for the folder format)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.router.conftest import gateway_over, running_subgraphs
from tests.router.support.scenario import all_scenarios, load_scenario


def _normalise_errors(errors: list[dict[str, Any]], expected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keeps what the expectation pins down; a `"message": null` expectation accepts any message."""
    out = []
    for got, want in zip(errors, expected, strict=False):
        g = {k: got.get(k) for k in want}
        if want.get("message") is None and "message" in want:
            g["message"] = None
        if "extensions" in want:
            g["extensions"] = {k: (got.get("extensions") or {}).get(k) for k in want["extensions"]}
        out.append(g)
    return out


@pytest.mark.parametrize("case", all_scenarios(), ids=lambda p: p.name)
async def test_scenario(case: Any) -> None:
    sc = load_scenario(case)
    async with running_subgraphs(sc.sdls, sc.data) as subs, gateway_over(subs) as gw:
        for name in sc.meta.get("down", []):
            await subs[name].stop()
        result = await _run(gw, sc)
        expected = sc.expected
        assert expected is not None
        assert result.get("data") == expected.get("data")
        assert list(result) == list(expected), "response keys (errors first, then data)"
        if "errors" in expected:
            assert len(result["errors"]) == len(expected["errors"]), result["errors"]
            assert _normalise_errors(result["errors"], expected["errors"]) == expected["errors"]
        for name, count in sc.meta.get("subgraph_requests", {}).items():
            assert len(subs[name].requests) == count, f"{name}: {[r['body'] for r in subs[name].requests]}"
        for name, count in sc.meta.get("representations", {}).items():
            reps = [len(r["body"]["variables"]["representations"]) for r in subs[name].requests]
            assert reps == [count], f"{name}: representations per request {reps}"


async def _run(gw: Any, sc: Any) -> dict[str, Any]:
    from router.gateway import RequestError

    try:
        return await gw.execute_dict(
            sc.operation, sc.meta.get("variables"), sc.meta.get("operationName"), sc.meta.get("headers", {})
        )
    except RequestError as exc:
        return {"errors": exc.errors}
