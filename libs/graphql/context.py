"""The per-request context every resolver receives: viewer, settings, the subgraph's resources, loaders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from libs.auth.viewer import Viewer
from libs.config import Settings

R = TypeVar("R")
K = TypeVar("K")
V = TypeVar("V")


class Context(BaseContext, Generic[R]):
    def __init__(self, viewer: Viewer, settings: Settings, resources: R) -> None:
        super().__init__()
        self.viewer = viewer
        self.settings = settings
        self.resources = resources
        self._loaders: dict[str, DataLoader[Any, Any]] = {}
        # Filled by graphql-transport-ws `connection_init` (clients send their Authorization here).
        self.connection_params: dict[str, Any] = {}

    def loader(self, name: str, factory: Callable[[], DataLoader[K, V]]) -> DataLoader[K, V]:
        """A DataLoader that lives as long as this request (a module-level one would cache forever)."""
        existing = self._loaders.get(name)
        if existing is None:
            existing = self._loaders[name] = factory()
        return existing
