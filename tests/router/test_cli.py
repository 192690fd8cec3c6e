"""The command line: compose, explain, argument forms, and errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from router.cli import main
from tests.router.support.scenario import SCENARIOS

REPO = Path(__file__).resolve().parents[2]
SHOP = SCENARIOS / "_shop"


def _subgraph_args(folder: Path) -> list[str]:
    out: list[str] = []
    for p in sorted(folder.glob("*.graphql")):
        out += ["--subgraph", f"{p.stem}=http://127.0.0.1:9/{p.stem}@{p}"]
    return out


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "router", *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )


def test_compose_writes_a_supergraph_deterministically(tmp_path: Path) -> None:
    out = tmp_path / "supergraph.graphql"
    assert main(["compose", *_subgraph_args(SHOP), "--output", str(out)]) == 0
    first = out.read_text()
    assert first.startswith('schema\n  @link(url: "https://specs.apollo.dev/link/v1.0")')
    assert '@join__graph(name: "inventory", url: "http://127.0.0.1:9/inventory")' in first
    pairs = _subgraph_args(SHOP)
    backwards = [x for i in range(len(pairs) - 2, -1, -2) for x in pairs[i : i + 2]]
    assert main(["compose", *backwards, "--output", str(out)]) == 0
    assert out.read_text() == first


def test_composition_error_is_reported_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.graphql"
    bad.write_text(
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'
        "type Query { a: T } type T { x: Int }"
    )
    bad2 = tmp_path / "bad2.graphql"
    bad2.write_text(bad.read_text().replace("a: T", "b: T"))
    r = _run(
        "compose", "--subgraph", f"one=http://x/graphql@{bad}", "--subgraph", f"two=http://y/graphql@{bad2}"
    )
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert 'Non-shareable field "T.x"' in r.stderr and '"one"' in r.stderr and '"two"' in r.stderr


def test_explain_prints_the_plan(tmp_path: Path) -> None:
    q = tmp_path / "q.graphql"
    q.write_text("{ topProducts { name shippingEstimate reviews { author { name } } } }")
    r = _run("explain", str(q), *_subgraph_args(SHOP))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("QueryPlan (query, 4 fetches)")
    assert "service=products kind=root" in r.stdout
    assert "service=inventory kind=entity at=.topProducts types=Product" in r.stdout
    assert "service=accounts kind=entity at=.topProducts.reviews.author types=User" in r.stdout


def test_explain_rejects_invalid_operations(tmp_path: Path) -> None:
    q = tmp_path / "q.graphql"
    q.write_text("{ nope }")
    r = _run("explain", str(q), *_subgraph_args(SHOP))
    assert r.returncode == 1 and "Cannot query field" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("argv", [["serve"], [], ["router"]])
def test_serve_without_a_source_explains_itself(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ROUTER_SUBGRAPHS", raising=False)
    monkeypatch.delenv("ROUTER_SUPERGRAPH", raising=False)
    assert main(argv) == 2
    assert "--supergraph" in capsys.readouterr().err


def test_missing_supergraph_file_fails_cleanly() -> None:
    r = _run("router", "--supergraph", "/nonexistent/supergraph.graphql", "--port", "0")
    assert r.returncode == 1 and "Traceback" not in r.stderr and "supergraph" in r.stderr


def test_verify_tokens_without_a_verifier_fails_clearly() -> None:
    # The router knows no keys: whoever embeds it hands in the check (`manpasik router` does).
    r = _run("serve", "--verify-tokens", "--subgraph", "a=http://127.0.0.1:9/graphql", "--port", "0")
    assert r.returncode == 2
    assert "--verify-tokens needs a token verifier" in r.stderr and "manpasik router" in r.stderr
    assert "Traceback" not in r.stderr


def test_resilience_settings_come_from_flags_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from router import cli_resilience

    monkeypatch.setenv("ROUTER_BREAKER_RESET", "7")
    monkeypatch.setenv("ROUTER_QUERY_TIMEOUT", "1.5")
    monkeypatch.setenv("ROUTER_BREAKER", "off")
    parser = argparse.ArgumentParser()
    cli_resilience.add_arguments(parser)
    got = cli_resilience.settings_from(parser.parse_args(["--retry-attempts", "1", "--breaker-window", "20"]))
    assert (got.query_timeout_s, got.retry_attempts, got.retry_budget_s) == (1.5, 1, 5.0)
    assert (got.breaker.reset_s, got.breaker.window_s, got.breaker.enabled) == (7.0, 20.0, False)
    assert (got.breaker.failure_rate, got.breaker.minimum_calls) == (0.5, 10)  # the seed's defaults
    bad = parser.parse_args(["--breaker-failure-rate", "1.5"])
    with pytest.raises(ValueError):
        cli_resilience.settings_from(bad)


def test_bad_resilience_settings_are_refused_without_a_traceback() -> None:
    r = _run("serve", "--supergraph", "never-read.graphql", "--retry-attempts", "0")
    assert r.returncode == 1 and "Traceback" not in r.stderr and "retry attempts" in r.stderr
