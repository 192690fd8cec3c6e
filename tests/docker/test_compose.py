"""No Docker engine here, so the compose file is checked as data: every subgraph that exists is in it, on the
port of ARCHITECTURE.md, wired into the router, configured only with settings the code reads."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from libs.config import Settings
from manpasik import registry

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"


def _compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def test_every_subgraph_runs_on_its_port_and_is_routed() -> None:
    services = _compose()["services"]
    router_args = services["router"]["command"]
    for row in registry.SUBGRAPHS:
        name = row.name
        assert name in services, f"{name} missing from docker/compose.yaml"
        command = services[name]["command"]
        assert command[:2] == ["subgraph", name]
        assert command[command.index("--port") + 1] == str(row.port)
        assert f"--subgraph={name}=http://{name}:{row.port}/graphql" in router_args
    assert f"--port={registry.ROUTER_PORT}" in router_args
    assert "--verify-tokens" in router_args
    assert services["router"]["ports"] == ["8080:8080"]


def _own_names(row: registry.Subgraph) -> set[str]:
    """The environment names a subgraph's own settings read (`<NAME>_<FIELD>`)."""
    cls = row.settings()
    prefix = str(cls.model_config.get("env_prefix", ""))
    return {(prefix + field).upper() for field in cls.model_fields}


# Read by the OpenTelemetry SDK itself (router.telemetry, libs.telemetry), under their standard names.
OTEL_NAMES = {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"}


def test_environment_names_are_settings_the_code_reads() -> None:
    known = {f.alias for f in Settings.model_fields.values() if f.alias} | {"PORT"} | OTEL_NAMES
    compose = _compose()
    env = compose["x-service"]["environment"]
    assert set(env) <= known, set(env) - known
    assert env["MANPASIK_ENV"] == "prod"
    assert "ROUTER_SUBGRAPH_SECRET" in env  # the router and every subgraph share it (prod refuses without)
    for row in registry.SUBGRAPHS:  # a service's own environment: shared names plus its subgraph's
        own = set(compose["services"][row.name].get("environment", {}))
        assert own <= known | _own_names(row), own - known - _own_names(row)


def _router_names() -> set[str]:
    """The ROUTER_* names the router reads: its CLI's and its edge's (router/edge/options.py)."""
    from router.cli import _parser
    from router.edge.options import ENV_NAMES

    _parser()
    cli = (REPO / "router" / "cli.py").read_text()
    return set(ENV_NAMES) | set(re.findall(r"ROUTER_[A-Z_]+", cli))


def test_the_routers_environment_names_are_settings_it_reads() -> None:
    env = _compose()["services"]["router"]["environment"]
    known = {f.alias for f in Settings.model_fields.values() if f.alias} | {"PORT"} | OTEL_NAMES
    known |= _router_names()
    assert set(env) <= known, set(env) - known
    assert "ROUTER_SAFELIST" in env  # prod enforces the app's operations


def test_the_env_example_names_settings_the_code_reads() -> None:
    known = {f.alias for f in Settings.model_fields.values() if f.alias} | {"POSTGRES_PASSWORD"}
    known |= _router_names()
    for row in registry.SUBGRAPHS:
        known |= _own_names(row)
    lines = (DOCKER / "env.example").read_text().splitlines()
    names = {ln.split("=", 1)[0] for ln in lines if ln.strip() and not ln.startswith("#")}
    assert names and names <= known, names - known


def test_images_are_pinned_and_dockerfile_runs_the_cli() -> None:
    services = _compose()["services"]
    for name in ("postgres", "mongo", "redis", "jaeger", "prometheus", "grafana"):
        image = services[name]["image"]
        assert ":" in image and not image.endswith(":latest"), image
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["manpasik"]' in dockerfile
    assert "USER manpasik" in dockerfile


def test_prometheus_scrapes_every_process_and_grafana_is_provisioned() -> None:
    config = yaml.safe_load((DOCKER / "prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    expected = {f"{row.name}:{row.port}" for row in registry.SUBGRAPHS} | {f"router:{registry.ROUTER_PORT}"}
    assert targets == expected
    assert all(job["metrics_path"] == "/metrics" for job in config["scrape_configs"])
    grafana = _compose()["services"]["grafana"]
    mounted = {v.split(":")[0] for v in grafana["volumes"]}
    assert mounted == {"./grafana/provisioning", "./grafana/dashboards"}
    for path in mounted:
        assert (DOCKER / path).is_dir()
    sources = yaml.safe_load((DOCKER / "grafana/provisioning/datasources/prometheus.yml").read_text())
    assert {d["url"] for d in sources["datasources"]} == {"http://prometheus:9090", "http://jaeger:16686"}
