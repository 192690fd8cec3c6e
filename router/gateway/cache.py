"""A small bounded LRU (dict insertion order; move-to-end on hit)."""

from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._d: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        v = self._d.pop(key, None)
        if v is not None:
            self._d[key] = v
        return v

    def put(self, key: K, value: V) -> None:
        self._d.pop(key, None)
        self._d[key] = value
        if len(self._d) > self.maxsize:
            del self._d[next(iter(self._d))]

    def __len__(self) -> int:
        return len(self._d)
