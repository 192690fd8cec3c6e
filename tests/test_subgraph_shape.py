"""Every registered subgraph has the shape of docs/CONVENTIONS.md ("A subgraph", "Adding a subgraph").

Written from the checklist, not from the code: a row whose package lacks a piece fails here, and so does a
subgraph package that no registry row names. `shape_problems` is the checklist; the last tests show that it
notices a missing piece.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import shutil
from pathlib import Path

import pytest

from libs.config import SubgraphSettings
from libs.events.workers import EventWorkers
from libs.graphql.context import StoreContext
from manpasik import registry
from manpasik.registry import Subgraph

ROOT = Path(__file__).resolve().parents[1]
ROWS = list(registry.SUBGRAPHS)
IDS = [row.name for row in ROWS]

# docs/CONVENTIONS.md's table: module -> what it must be (a module may grow into a package of the same name).
REQUIRED_MODULES = [
    "__init__",
    "settings",
    "app",
    "schema",
    "resources",
    "context",
    "types",
    "resolvers",
    "service",
    "repository",
    "models",
    "loaders",
    "errors",
]
MAY_BE_PACKAGE = {"resolvers", "service"}
MIGRATION_PIECES = ["env.py", "script.py.mako", "versions"]
# Services hold the rules: they know neither Strawberry nor SQL.
SERVICE_FORBIDDEN = ("strawberry", "sqlalchemy", "sqlmodel")


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _module_files(package: Path, module: str) -> list[Path]:
    """The source files of `module` in `package` (one file, or every file of a package of that name)."""
    single = package / f"{module}.py"
    if single.is_file():
        return [single]
    folder = package / module
    if module in MAY_BE_PACKAGE and (folder / "__init__.py").is_file():
        return sorted(folder.rglob("*.py"))
    return []


def _imports(files: list[Path]) -> set[str]:
    """Every module name imported by these files (TYPE_CHECKING imports too)."""
    found: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def file_problems(row: Subgraph, root: Path) -> list[str]:
    """What the package's files lack, by the checklist (no import needed)."""
    package = root / "subgraphs" / row.name
    problems = []
    if not package.is_dir():
        return [f"no package subgraphs/{row.name}/"]
    for module in REQUIRED_MODULES:
        if not _module_files(package, module):
            kind = f"{module}.py or {module}/" if module in MAY_BE_PACKAGE else f"{module}.py"
            problems.append(f"missing {kind}")
    init = package / "__init__.py"
    if init.is_file() and not ast.get_docstring(ast.parse(init.read_text())):
        problems.append("__init__.py has no docstring saying what the domain is")
    if row.workers_class is not None and not (package / "worker.py").is_file():
        problems.append("has workers but no worker.py")
    if row.sql:
        for piece in MIGRATION_PIECES:
            if not (package / "migrations" / piece).exists():
                problems.append(f"a SQL subgraph without migrations/{piece}")
    resources = package / "resources.py"
    if resources.is_file() and any(m.startswith(f"{row.package}.worker") for m in _imports([resources])):
        problems.append("resources.py imports worker.py (the worker is built from the resources)")
    service = _module_files(package, "service")
    bad = sorted(m for m in _imports(service) if m.split(".")[0] in SERVICE_FORBIDDEN)
    if bad:
        problems.append(f"the service imports {', '.join(bad)}")
    if not (root / "schema" / "subgraphs" / f"{row.name}.graphql").is_file():
        problems.append(f"no SDL snapshot schema/subgraphs/{row.name}.graphql (run `make schema`)")
    return problems


def code_problems(row: Subgraph) -> list[str]:
    """What the package's classes and functions lack, by the contract (imports the package)."""
    problems = []
    name = camel(row.name)
    if row.settings_class != f"{row.package}.settings:{name}Settings":
        problems.append(f"settings class should be {row.package}.settings:{name}Settings")
    settings = row.settings()
    if not (isinstance(settings, type) and issubclass(settings, SubgraphSettings)):
        problems.append(f"{settings!r} is not a libs.config.SubgraphSettings")
    else:
        if settings.model_config.get("env_prefix") != f"{row.name.upper()}_":
            problems.append(f"settings env prefix is not {row.name.upper()}_")
        database = settings.model_fields.get("database")
        if database is None or not isinstance(database.default, str) or not database.default:
            problems.append("settings have no default database name")
        workers = settings.model_fields.get("workers")
        if workers is None or workers.annotation not in (bool, "bool") or workers.default is not True:
            problems.append("settings have no `workers: bool = True`")

    if row.workers_class is not None:
        if row.workers_class != f"{row.package}.worker:{name}Workers":
            problems.append(f"workers class should be {row.package}.worker:{name}Workers")
        workers_cls = row.workers()
        if not (isinstance(workers_cls, type) and issubclass(workers_cls, EventWorkers)):
            problems.append(f"{workers_cls!r} is not a libs.events.workers.EventWorkers")

    create_app = importlib.import_module(f"{row.package}.app").create_app
    params = list(inspect.signature(create_app).parameters.values())
    if [(p.name, p.kind, p.default) for p in params] != [
        ("settings", inspect.Parameter.POSITIONAL_OR_KEYWORD, None),
        ("own", inspect.Parameter.POSITIONAL_OR_KEYWORD, None),
    ]:
        problems.append("app.create_app is not create_app(settings=None, own=None)")

    resources = importlib.import_module(f"{row.package}.resources")
    opener = resources.open_resources
    params = list(inspect.signature(opener).parameters.values())
    if [(p.name, p.kind) for p in params[:2]] != [
        ("settings", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("own", inspect.Parameter.POSITIONAL_OR_KEYWORD),
    ] or params[1].default is not None or any(p.default is inspect.Parameter.empty for p in params[1:]):
        problems.append("resources.open_resources is not open_resources(settings, own=None)")
    if not inspect.isasyncgenfunction(getattr(opener, "__wrapped__", None)):
        problems.append("resources.open_resources is not an @asynccontextmanager")
    res_cls = getattr(resources, f"{name}Resources", None)
    if res_cls is None or not dataclasses.is_dataclass(res_cls):
        problems.append(f"resources.py has no dataclass {name}Resources")
    else:
        fields = {f.name for f in dataclasses.fields(res_cls)}
        for required in ("settings", "own", "redis", "authenticator", "db", "deps"):
            if required not in fields:
                problems.append(f"{name}Resources has no `{required}`")
        if not inspect.iscoroutinefunction(getattr(res_cls, "ready", None)):
            problems.append(f"{name}Resources has no `async def ready()`")

    context = importlib.import_module(f"{row.package}.context")
    ctx_cls = getattr(context, f"{name}Context", None)
    if not (isinstance(ctx_cls, type) and issubclass(ctx_cls, StoreContext)):
        problems.append(f"context.py has no {name}Context(StoreContext[...])")
    if not hasattr(context, "Info"):
        problems.append("context.py has no `Info` alias")

    schema = importlib.import_module(f"{row.package}.schema")
    if not hasattr(schema, "schema"):
        problems.append("schema.py has no module-level `schema`")
    return problems


def shape_problems(row: Subgraph, root: Path = ROOT) -> list[str]:
    problems = file_problems(row, root)
    return problems or code_problems(row)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_each_registered_subgraph_has_the_conventional_shape(row: Subgraph) -> None:
    assert shape_problems(row) == [], f"subgraphs/{row.name}: see docs/CONVENTIONS.md"


def test_every_subgraph_package_is_registered() -> None:
    packages = sorted(p.parent.name for p in (ROOT / "subgraphs").glob("*/__init__.py"))
    assert packages == sorted(IDS), "a subgraph package needs its row in manpasik/registry.py"


def test_names_and_ports_are_unique_and_not_reserved() -> None:
    ports = [row.port for row in ROWS]
    assert len(set(IDS)) == len(IDS) and len(set(ports)) == len(ports)
    taken = {registry.ROUTER_PORT, *registry.RESERVED_PORTS.values()}
    assert not taken & set(ports), taken & set(ports)
    assert not set(IDS) & set(registry.RESERVED_PORTS)
    assert len(set(registry.RESERVED_PORTS.values())) == len(registry.RESERVED_PORTS)
    assert registry.names() == [row.name for row in sorted(ROWS, key=lambda r: r.port)]


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_stores_are_known_and_one_database_kind_each(row: Subgraph) -> None:
    assert set(row.stores) <= {"sql", "mongo", "redis"}
    assert ("sql" in row.stores) != ("mongo" in row.stores), row.stores


def _copy(row: Subgraph, tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "subgraphs" / row.name, tmp_path / "subgraphs" / row.name)
    (tmp_path / "schema" / "subgraphs").mkdir(parents=True)
    shutil.copy(ROOT / "schema" / "subgraphs" / f"{row.name}.graphql", tmp_path / "schema" / "subgraphs")
    return tmp_path


@pytest.mark.parametrize("piece", ["context.py", "loaders.py", "errors.py", "worker.py", "migrations/env.py"])
def test_the_checklist_notices_a_missing_piece(piece: str, tmp_path: Path) -> None:
    row = registry.subgraph("coaching")  # SQL, with workers: every piece applies
    root = _copy(row, tmp_path)
    assert file_problems(row, root) == []
    (root / "subgraphs" / row.name / piece).unlink()
    assert file_problems(row, root) != []


def test_the_checklist_notices_a_service_that_knows_sql_and_resources_that_import_the_worker(
    tmp_path: Path,
) -> None:
    row = registry.subgraph("notification")
    root = _copy(row, tmp_path)
    package = root / "subgraphs" / row.name
    service = _module_files(package, "service")[0]
    service.write_text("from sqlalchemy import select\n" + service.read_text())
    resources = package / "resources.py"
    resources.write_text(f"from {row.package}.worker import X\n" + resources.read_text())
    problems = file_problems(row, root)
    assert any("the service imports sqlalchemy" in p for p in problems), problems
    assert any("resources.py imports worker.py" in p for p in problems), problems


def test_the_checklist_notices_a_missing_snapshot_and_an_unregistered_store(tmp_path: Path) -> None:
    row = registry.subgraph("auth")
    root = _copy(row, tmp_path)
    (root / "schema" / "subgraphs" / "auth.graphql").unlink()
    assert any("SDL snapshot" in p for p in file_problems(row, root))
    missing = Subgraph("payment", 8004, ("sql", "redis"), "subgraphs.payment.settings:PaymentSettings")
    assert file_problems(missing, root) == ["no package subgraphs/payment/"]
