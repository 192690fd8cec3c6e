"""The one list of subgraphs: who they are, where they listen, what they store, what they read, what runs
in the background. The dev stack, the CLI (`manpasik subgraph|worker|migrate`), schema snapshots, the e2e
stack and the compose-file test read it; adding a subgraph is its package plus one row here
(docs/CONVENTIONS.md, "Adding a subgraph").

By convention a row's package `subgraphs.<name>` has `app.create_app(settings, own)` and
`resources.open_resources(settings, own)`; `tests/test_subgraph_shape.py` checks every row against the
checklist. Classes are named by dotted path and imported on first use, so `manpasik router` loads no subgraph.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from fastapi import FastAPI

    from libs.config import Settings, SubgraphSettings
    from libs.events.workers import EventWorkers

Store = Literal["sql", "mongo", "redis"]

ROUTER_PORT = 8080
# Domains still to come (ARCHITECTURE.md): their ports are taken by nobody else.
RESERVED_PORTS: dict[str, int] = {}


def _load(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class Subgraph:
    name: str
    port: int
    stores: tuple[Store, ...]
    # "subgraphs.<name>.settings:<Name>Settings", a libs.config.SubgraphSettings
    settings_class: str
    # "subgraphs.<name>.worker:<Name>Workers", a libs.events.workers.EventWorkers; None: no background work
    workers_class: str | None = None
    # Dev stack only (never prod): a module run as `python -m <module>` beside the subgraph, a local stand-in
    # for its third-party provider; its `dev_env(port_offset, subgraph_port)` says where it listens.
    dev_sandbox: str | None = None

    @property
    def package(self) -> str:
        return f"subgraphs.{self.name}"

    @property
    def sql(self) -> bool:
        return "sql" in self.stores

    @property
    def migrations(self) -> Path:
        """Its Alembic folder (SQL subgraphs), found without importing the package."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(self.package)
        return Path(spec.origin).parent / "migrations"

    def settings(self) -> type[SubgraphSettings]:
        """Its settings class (what it alone reads, env prefix `<NAME>_`)."""
        return cast("type[SubgraphSettings]", _load(self.settings_class))

    def own(self, **values: Any) -> SubgraphSettings:
        """Its settings from the environment, `values` overriding."""
        return self.settings()(**values)

    def workers(self) -> Callable[[Any], EventWorkers] | None:
        """Its workers class, built from its resources (`<Name>Workers(res)`); None: it has none."""
        if self.workers_class is None:
            return None
        return cast("Callable[[Any], EventWorkers]", _load(self.workers_class))

    def create_app(self, settings: Settings | None = None, own: SubgraphSettings | None = None) -> FastAPI:
        create = _load(f"{self.package}.app:create_app")
        return cast("FastAPI", create(settings, own))

    def open_resources(
        self, settings: Settings, own: SubgraphSettings | None = None
    ) -> AbstractAsyncContextManager[Any]:
        opener = _load(f"{self.package}.resources:open_resources")
        return cast("AbstractAsyncContextManager[Any]", opener(settings, own))


SUBGRAPHS: tuple[Subgraph, ...] = (
    Subgraph(
        name="auth",
        port=8001,
        stores=("sql", "redis"),
        settings_class="subgraphs.auth.settings:AuthSettings",
        workers_class="subgraphs.auth.worker:AuthWorkers",
    ),
    Subgraph(
        name="measurement",
        port=8002,
        stores=("mongo", "redis"),
        settings_class="subgraphs.measurement.settings:MeasurementSettings",
        workers_class="subgraphs.measurement.worker:MeasurementWorkers",
    ),
    Subgraph(
        name="coaching",
        port=8003,
        stores=("sql", "redis"),
        settings_class="subgraphs.coaching.settings:CoachingSettings",
        workers_class="subgraphs.coaching.worker:CoachingWorkers",
    ),
    Subgraph(
        name="payment",
        port=8004,
        stores=("sql", "redis"),
        settings_class="subgraphs.payment.settings:PaymentSettings",
        workers_class="subgraphs.payment.worker:PaymentWorkers",
        dev_sandbox="subgraphs.payment.sandbox",
    ),
    Subgraph(
        name="notification",
        port=8005,
        stores=("sql", "redis"),
        settings_class="subgraphs.notification.settings:NotificationSettings",
        workers_class="subgraphs.notification.worker:NotificationWorkers",
    ),
    Subgraph(
        name="translation",
        port=8007,
        stores=("sql", "redis"),
        settings_class="subgraphs.translation.settings:TranslationSettings",
        workers_class="subgraphs.translation.worker:TranslationWorkers",
    ),
    Subgraph(
        name="data",
        port=8008,
        stores=("sql", "redis"),
        settings_class="subgraphs.data.settings:DataSettings",
        workers_class="subgraphs.data.worker:DataWorkers",
    ),
    Subgraph(
        name="video",
        port=8006,
        stores=("sql", "redis"),
        settings_class="subgraphs.video.settings:VideoSettings",
        workers_class="subgraphs.video.worker:VideoWorkers",
    ),
    Subgraph(
        name="admin",
        port=8009,
        stores=("sql", "redis"),
        settings_class="subgraphs.admin.settings:AdminSettings",
        workers_class="subgraphs.admin.worker:AdminWorkers",
    ),
)

BY_NAME: dict[str, Subgraph] = {s.name: s for s in SUBGRAPHS}


def subgraph(name: str) -> Subgraph:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown subgraph {name!r}; registered: {', '.join(BY_NAME)}") from None


def names() -> list[str]:
    """Registered subgraphs in port order."""
    return [s.name for s in sorted(SUBGRAPHS, key=lambda s: s.port)]


def with_workers() -> list[str]:
    return [s.name for s in SUBGRAPHS if s.workers_class is not None]


def port(name: str) -> int:
    """A subgraph's port, or the router's (`router`)."""
    return ROUTER_PORT if name == "router" else subgraph(name).port


def ports() -> dict[str, int]:
    """Every port we listen on: the router first, then each subgraph."""
    return {"router": ROUTER_PORT, **{s.name: s.port for s in SUBGRAPHS}}
