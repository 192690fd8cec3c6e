"""The per-request context every resolver receives: viewer, settings, the subgraph's resources, loaders, and
the request's units of work.

    class CoachingContext(StoreContext[CoachingResources, CoachingRepository]): ...
    Info = strawberry.Info[CoachingContext, None]

    async with info.context.unit_of_work() as repo:     # the one commit point (then after-commit hooks)
        row = await CoachingService(repo, info.context.resources.deps).update_profile(...)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, Protocol, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from libs.auth.viewer import Viewer
from libs.config import Settings
from libs.db.uow import UnitsOfWork

R = TypeVar("R")
K = TypeVar("K")
V = TypeVar("V")
Repo = TypeVar("Repo")


class HasStore(Protocol):
    """Resources of a subgraph with a store: `db` opens its units of work (libs.db.uow)."""

    @property
    def db(self) -> UnitsOfWork[Any]: ...


S = TypeVar("S", bound=HasStore)


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


class StoreContext(Context[S], Generic[S, Repo]):
    """The context of every subgraph that keeps data: units of work over its repository."""

    def unit_of_work(self) -> AbstractAsyncContextManager[Repo]:
        """Commits once when the block succeeds (rolls back on error), then runs the after-commit hooks."""
        uow: AbstractAsyncContextManager[Repo] = self.resources.db.write()
        return uow

    def read(self) -> AbstractAsyncContextManager[Repo]:
        uow: AbstractAsyncContextManager[Repo] = self.resources.db.read()
        return uow

    def batch_loader(self, name: str, fetch: Callable[[Repo, Sequence[K]], Awaitable[Mapping[K, V]]],
                     missing: Callable[[], V]) -> DataLoader[K, V]:
        """A per-request loader that reads each batch of keys in one read-only unit of work; a key `fetch`
        does not return gets `missing()` (None, or an empty list)."""

        async def load(keys: Sequence[K]) -> list[V]:
            async with self.read() as repo:
                found = await fetch(repo, keys)
            return [found[k] if k in found else missing() for k in keys]

        return self.loader(name, lambda: DataLoader(load))
