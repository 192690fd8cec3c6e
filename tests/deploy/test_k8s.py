"""The Kubernetes manifests of deploy/k8s/, checked as data (no cluster here): each one valid against the
Kubernetes OpenAPI schemas (kubernetes-validate, offline, strict), every process of the compose file with a
Deployment, Service, HPA and PDB, probes on paths the process serves, only environment names the code reads,
subgraphs found through cluster DNS, ports as in ARCHITECTURE.md, and nothing real in the example Secret."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import kubernetes_validate
import pytest
import yaml

from libs.config import Settings, SettingsError
from manpasik import registry
from tests.docker.test_compose import OTEL_NAMES, _compose, _own_names, _router_names

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
ARCHITECTURE = REPO.parent / "shared" / "design" / "ARCHITECTURE.md"
KUBERNETES_VERSION = "1.30"  # bundled by kubernetes-validate; the schemas are read from the package, offline
NAMESPACE = "manpasik"
IMAGE_UID = 10001  # `useradd --uid 10001 manpasik` in docker/Dockerfile
PLACEHOLDER = "REPLACE_ME"
WORKLOADS = ("Deployment", "Job")

Doc = dict[str, Any]


def _files() -> list[Path]:
    return sorted(p for p in K8S.rglob("*.yaml"))


def _docs(path: Path) -> list[Doc]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def _all() -> list[tuple[Path, Doc]]:
    return [(p, d) for p in _files() if p.name != "kustomization.yaml" for d in _docs(p)]


def _kustomization() -> Doc:
    (doc,) = _docs(K8S / "kustomization.yaml")
    return doc


def _base() -> list[Doc]:
    """What `kubectl apply -k deploy/k8s` applies: the kustomization's resources."""
    return [d for rel in _kustomization()["resources"] for d in _docs(K8S / rel)]


def _by_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _secrets() -> dict[str, Doc]:
    return _by_kind(_docs(K8S / "secret.example.yaml"), "Secret")


def _container(workload: Doc) -> Doc:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return container


def _processes() -> dict[str, str]:
    """{Deployment name: what it runs}: every process of the compose file that runs our image (the router and
    each subgraph), and each subgraph's event workers, which compose runs inside the subgraph and Kubernetes
    as a Deployment of their own (`<NAME>_WORKERS=false` / `manpasik worker <name>`)."""
    services = _compose()["services"]
    ours = {n: s for n, s in services.items() if str(s.get("image", "")).startswith("manpasik/")}
    out = {}
    for name, svc in ours.items():
        out[name] = "router" if svc["command"][0] == "router" else "subgraph"
    assert set(out) == {"router", *registry.names()}
    out |= {f"{name}-worker": "worker" for name in registry.with_workers()}
    return out


def _row(process: str) -> registry.Subgraph | None:
    name = process.removesuffix("-worker")
    return None if name == "router" else registry.subgraph(name)


# -- schema validation -------------------------------------------------------------------------------------


def test_every_manifest_is_valid_against_the_kubernetes_schemas() -> None:
    validated: dict[str, int] = {}
    errors = []
    for path, doc in _all():
        try:
            version = kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            where = ".".join(str(p) for p in e.path)
            what = f"{doc['kind']}/{doc['metadata']['name']}"
            errors.append(f"{path.relative_to(K8S)}: {what}: {where}: {e.message}")
            continue
        validated[version] = validated.get(version, 0) + 1
    assert not errors, "\n".join(errors)
    assert validated == {KUBERNETES_VERSION: len(_all())}
    print(f"{len(_all())} manifests valid against Kubernetes {KUBERNETES_VERSION} (strict)")


def test_no_api_the_newest_bundled_kubernetes_removed() -> None:
    """The same manifests against the newest schemas kubernetes-validate bundles: no API in use is gone."""
    newest = kubernetes_validate.latest_version()
    for _, doc in _all():
        kubernetes_validate.validate(doc, newest, strict=True)


def test_the_validator_refuses_what_kubernetes_would() -> None:
    """The check is not a no-op: a misspelt field and a wrong type are refused."""
    deployment = _by_kind(_base(), "Deployment")["router"]
    typo = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    wrong = {**deployment, "spec": {**deployment["spec"], "revisionHistoryLimit": "five"}}
    for doc in (typo, wrong):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_committed_manifests_are_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("k8s_generate", K8S / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "run .venv/bin/python deploy/k8s/generate.py"


def test_the_kustomization_lists_the_base_and_renders() -> None:
    kustomization = _kustomization()
    listed = set(kustomization["resources"])
    outside = {"secret.example.yaml", "kustomization.yaml"}
    base = {str(p.relative_to(K8S)) for p in _files()} - outside - {
        str(p.relative_to(K8S)) for p in (K8S / "jobs").glob("*.yaml")}
    assert listed == base
    assert all(d["metadata"].get("namespace") == NAMESPACE for d in _base() if d["kind"] != "Namespace")
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed (its built-in kustomize renders the base)")
    out = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    rendered = {(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(out) if d}
    assert rendered == {(d["kind"], d["metadata"]["name"]) for d in _base()}


# -- every process ---------------------------------------------------------------------------------------


def test_every_process_has_a_deployment_service_hpa_and_pdb() -> None:
    base = _base()
    deployments, services = _by_kind(base, "Deployment"), _by_kind(base, "Service")
    hpas, pdbs = _by_kind(base, "HorizontalPodAutoscaler"), _by_kind(base, "PodDisruptionBudget")
    processes = _processes()
    assert set(deployments) == set(processes)
    for name in processes:
        deployment = deployments[name]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels.items()
        assert "replicas" not in deployment["spec"], f"{name}: the HPA owns the replica count"

        svc = services[name]["spec"]
        assert svc["type"] == "ClusterIP" and svc["selector"].items() <= pod_labels.items()
        port_names = {p["name"] for p in _container(deployment)["ports"]}
        assert {p["targetPort"] for p in svc["ports"]} <= port_names

        hpa = hpas[name]["spec"]
        assert hpas[name]["apiVersion"] == "autoscaling/v2"
        assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"]
        assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
        if processes[name] != "worker":  # the APIs and the router keep serving through one pod's loss
            assert hpa["minReplicas"] >= 2, name

        pdb = pdbs[name]
        assert pdb["apiVersion"] == "policy/v1"
        assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        assert pdb["spec"].get("maxUnavailable") == 1  # a one-replica worker can still be drained

    # The router's Service is the ingress's backend for /graphql; the subgraphs serve only their own routes.
    (ingress,) = _by_kind(base, "Ingress").values()
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    backends = {p["path"]: p["backend"]["service"] for p in paths}
    assert backends["/graphql"] == {"name": "router", "port": {"number": registry.ROUTER_PORT}}
    assert backends["/webhooks/toss"]["name"] == "payment"
    assert backends["/exports"]["name"] == "data"


def test_workers_run_apart_from_their_apis() -> None:
    deployments, configs = _by_kind(_base(), "Deployment"), _by_kind(_base(), "ConfigMap")
    for name in registry.with_workers():
        assert _container(deployments[f"{name}-worker"])["args"] == ["worker", name]
        api = _container(deployments[name])
        env = _env(api, configs, _secrets())
        assert env[f"{name.upper()}_WORKERS"] == "false", f"{name}: its workers would run twice over"
        worker_env = _env(_container(deployments[f"{name}-worker"]), configs, _secrets())
        port = int(worker_env["WORKER_METRICS_PORT"])
        assert worker_env["WORKER_METRICS_HOST"] == "0.0.0.0"
        assert _container(deployments[f"{name}-worker"])["ports"][0]["containerPort"] == port


# -- probes ---------------------------------------------------------------------------------------------


def _served_paths(process: str) -> set[str]:
    """The GET routes the process itself defines."""
    row = _row(process)
    if row is None:
        from router.server.app import RouterApp

        return {r.resource.canonical for r in RouterApp().app.router.routes()
                if r.method == "GET" and r.resource is not None}
    if process.endswith("-worker"):
        return set()  # asked below, from the running metrics server
    app = row.create_app(Settings(MANPASIK_ENV="test"))
    return {getattr(r, "path", "") for r in app.routes}


def _probes(container: Doc) -> dict[str, tuple[str, str]]:
    return {kind: (container[kind]["httpGet"]["path"], container[kind]["httpGet"]["port"])
            for kind in ("startupProbe", "livenessProbe", "readinessProbe")}


async def test_probes_point_at_paths_each_process_serves() -> None:
    from libs.telemetry.server import metrics_server

    deployments = _by_kind(_base(), "Deployment")
    worker_paths: set[str] = set()
    async with metrics_server("127.0.0.1", 0) as port, aiohttp.ClientSession() as http:
        for path in ("/health", "/ready", "/metrics"):
            async with http.get(f"http://127.0.0.1:{port}{path}") as resp:
                if resp.status == 200:
                    worker_paths.add(path)
    assert worker_paths == {"/health", "/metrics"}  # no /ready: a worker's readiness is /health

    for name, kind in _processes().items():
        container = _container(deployments[name])
        probes = _probes(container)
        port_names = {p["name"] for p in container["ports"]}
        assert {port for _, port in probes.values()} <= port_names, name
        served = worker_paths if kind == "worker" else _served_paths(name)
        assert {path for path, _ in probes.values()} <= served, (name, served)
        assert probes["livenessProbe"][0] == "/health"
        assert probes["readinessProbe"][0] == ("/health" if kind == "worker" else "/ready")
        # Prometheus scrapes /metrics on the probed port
        annotations = deployments[name]["spec"]["template"]["metadata"]["annotations"]
        assert "/metrics" in served and annotations["prometheus.io/path"] == "/metrics"
        assert int(annotations["prometheus.io/port"]) == container["ports"][0]["containerPort"]


# -- configuration ----------------------------------------------------------------------------------------


def _env(container: Doc, configs: dict[str, Doc], secrets: dict[str, Doc]) -> dict[str, str]:
    """The container's environment: ConfigMaps and Secrets (envFrom, in order) and its own `env`."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            ref = source["configMapRef"]
            found = configs.get(ref["name"])
            assert found is not None or ref.get("optional"), f"ConfigMap {ref['name']} missing"
            env |= (found or {}).get("data", {})
        else:
            ref = source["secretRef"]
            found = secrets.get(ref["name"])
            assert found is not None or ref.get("optional"), f"Secret {ref['name']} missing from the example"
            env |= (found or {}).get("stringData", {})
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", "")
    return env


def _known(process: str) -> set[str]:
    known = {f.alias for f in Settings.model_fields.values() if f.alias} | OTEL_NAMES
    if process == "manpasik-migrate":  # `manpasik migrate`: the shared settings and every subgraph's own
        return known.union(*(_own_names(row) for row in registry.SUBGRAPHS))
    row = _row(process)
    if row is None:
        resilience = (REPO / "router" / "cli_resilience.py").read_text()
        return known | _router_names() | set(re.findall(r"ROUTER_[A-Z_]+", resilience))
    return known | _own_names(row)


def test_environment_names_are_settings_the_code_reads() -> None:
    base = _base()
    configs, secrets = _by_kind(base, "ConfigMap"), _secrets()
    workloads = {d["metadata"]["name"]: d for d in base if d["kind"] in WORKLOADS}
    workloads |= _by_kind(_docs(K8S / "jobs" / "migrate.yaml"), "Job")
    for name, workload in workloads.items():
        env = _env(_container(workload), configs, secrets)
        unknown = set(env) - _known(name)
        assert not unknown, f"{name} is given names the code does not read: {sorted(unknown)}"
    router = _env(_container(workloads["router"]), configs, secrets)
    assert router["ROUTER_VERIFY_TOKENS"] == "true" and router["ROUTER_SAFELIST"]
    assert router["ROUTER_HOST"] == "0.0.0.0" and router["ROUTER_PORT"] == str(registry.ROUTER_PORT)
    assert "ROUTER_SUBGRAPH_SECRET" in router and router["MANPASIK_ENV"] == "prod"


def test_settings_come_from_configmaps_and_secrets_only_from_secrets() -> None:
    base = _base()
    assert not _by_kind(base, "Secret"), "real Secrets are created outside the repository"
    secret_names = {k for s in _secrets().values() for k in s["stringData"]}
    config_names = {k for c in _by_kind(base, "ConfigMap").values() for k in c.get("data", {})}
    assert not secret_names & config_names
    for workload in (d for d in base if d["kind"] in WORKLOADS):
        container = _container(workload)
        for item in container.get("env", []):  # literal values never carry a secret
            assert item["name"] not in secret_names or "valueFrom" in item
    # What compose requires as a secret (`${NAME:?...}`) comes from a Secret here too (the LiveKit URL is
    # configuration); POSTGRES_PASSWORD lives in DATABASE_URL, the managed server being external.
    compose_text = (REPO / "docker" / "compose.yaml").read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", compose_text)) - {"POSTGRES_PASSWORD", "VIDEO_LIVEKIT_URL"}
    assert required <= secret_names, required - secret_names
    assert {"DATABASE_URL", "MONGODB_URL", "REDIS_URL"} <= secret_names  # the managed stores' URLs


def test_the_example_secret_holds_placeholders_only() -> None:
    secrets = _secrets()
    assert secrets
    for name, secret in secrets.items():
        assert "data" not in secret, f"{name}: stringData only, readable placeholders"
        for key, value in secret["stringData"].items():
            assert PLACEHOLDER in value, f"{name}/{key} is not a placeholder"
            assert not re.search(r"(live|test)_(sk|gsk)_\w", value), f"{name}/{key}: a Toss key"
            # nothing that looks like a key: no long run of base64, hex or token characters
            assert not re.search(r"[A-Za-z0-9+/=_-]{24,}", value.replace(PLACEHOLDER, "")), f"{name}/{key}"
    platform = secrets["manpasik-platform"]["stringData"]
    # Applied as they are, prod refuses them rather than run with a guessable secret.
    with pytest.raises(ValueError, match="JWT_SECRET"):
        Settings(MANPASIK_ENV="prod", **platform)
    relaxed = Settings(MANPASIK_ENV="prod", **{**platform, "JWT_SECRET": "x" * 48})
    with pytest.raises(SettingsError, match="ROUTER_SUBGRAPH_SECRET"):
        relaxed.require_router_secret()


# -- discovery and ports ----------------------------------------------------------------------------------


def _dns(url: str, services: dict[str, Doc]) -> tuple[str, int, str]:
    """(service, port, path) of an in-cluster URL: `http://<service>[.<namespace>.svc.cluster.local]:<port>`."""
    m = re.fullmatch(r"http://([a-z0-9-]+)(?:\.([a-z0-9-]+)\.svc\.cluster\.local)?:(\d+)(/.*)?", url)
    assert m, f"{url} is not a cluster DNS name"
    service, namespace, port, path = m.groups()
    assert namespace in (None, NAMESPACE), url
    assert service in services, f"{url}: no Service {service}"
    assert int(port) in {p["port"] for p in services[service]["spec"]["ports"]}, url
    return service, int(port), path or ""


def test_the_router_and_admin_find_every_subgraph_through_cluster_dns() -> None:
    base = _base()
    configs, services = _by_kind(base, "ConfigMap"), _by_kind(base, "Service")
    router = configs["manpasik-router"]["data"]
    routed = dict(item.split("=", 1) for item in router["ROUTER_SUBGRAPHS"].split(","))
    assert set(routed) == set(registry.names())
    for name, url in routed.items():
        assert _dns(url, services) == (name, registry.port(name), "/graphql")
    admin = configs["manpasik-admin"]["data"]
    assert _dns(admin["ADMIN_ROUTER_URL"], services) == ("router", registry.ROUTER_PORT, "")
    asked = json.loads(admin["ADMIN_SUBGRAPH_URLS"])
    assert set(asked) == set(registry.names())
    for name, url in asked.items():
        assert _dns(url, services) == (name, registry.port(name), "")


def _architecture_ports() -> Iterator[tuple[str, int]]:
    for line in ARCHITECTURE.read_text().splitlines():
        m = re.match(r"\|\s*(router|[a-z]+)(?: \([A-Za-z]+\))?(?: subgraph)?\s*\|\s*(\d{4})\s*\|", line)
        if m:
            yield m.group(1), int(m.group(2))


def test_ports_match_architecture() -> None:
    if not ARCHITECTURE.is_file():
        pytest.skip(f"{ARCHITECTURE} is not beside this checkout")
    documented = dict(_architecture_ports())
    assert documented == registry.ports()  # the router and every subgraph, nothing else
    base = _base()
    deployments, services = _by_kind(base, "Deployment"), _by_kind(base, "Service")
    for name, port in documented.items():
        assert [p["containerPort"] for p in _container(deployments[name])["ports"]] == [port]
        assert [p["port"] for p in services[name]["spec"]["ports"]] == [port]
        args = _container(deployments[name])["args"]
        if name != "router":  # the router's port is ROUTER_PORT (checked with its environment)
            assert args == ["subgraph", name, "--host", "0.0.0.0", "--port", str(port)]


# -- pods -------------------------------------------------------------------------------------------------


def test_pods_run_unprivileged_with_bounded_resources() -> None:
    configs = _by_kind(_base(), "ConfigMap")
    workloads = [d for d in _base() if d["kind"] in WORKLOADS]
    workloads += list(_by_kind(_docs(K8S / "jobs" / "migrate.yaml"), "Job").values())
    for workload in workloads:
        name = workload["metadata"]["name"]
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == IMAGE_UID
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        # Service links would put e.g. ROUTER_PORT=tcp://10.0.0.1:8080 (from the Service `router`) into
        # every pod, where the router reads ROUTER_PORT as its port number.
        assert pod["enableServiceLinks"] is False, name
        container = _container(workload)
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"] == {"drop": ["ALL"]}
        assert {m["mountPath"] for m in container["volumeMounts"]} >= {"/tmp"}  # tempfile's directory
        for bound in ("requests", "limits"):
            assert set(container["resources"][bound]) == {"cpu", "memory"}, name
    router = _by_kind(_base(), "Deployment")["router"]
    drain = int(configs["manpasik-router"]["data"]["ROUTER_DRAIN_TIMEOUT"])
    pre_stop = int(_container(router)["lifecycle"]["preStop"]["exec"]["command"][1])
    assert router["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > pre_stop + drain
    # Backups are files: the data workers write them to a volume, not to the read-only image.
    data_worker = _container(_by_kind(_base(), "Deployment")["data-worker"])
    data = _env(data_worker, configs, _secrets())
    mounts = {m["mountPath"] for m in data_worker["volumeMounts"]}
    assert data["DATA_BACKUP_DIR"] in mounts
