"""Incremental delivery of a split operation (Apollo's deferSpec=20220824 format, as Apollo Router and Hive
Gateway send it): `{data, errors?, hasNext: true}` first, then `{incremental: [{data, path, label?, errors?}],
hasNext}` as deferred fragments finish.

Every part starts at once, beside the primary operation: the first payload waits only for the primary's
fetches, and a slow subgraph holds back only the fragments that need it. A fragment is sent after the
payload holding the objects it belongs to (the primary, or its enclosing fragment), once per such object;
its path names the object (list indices included).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from router.defer.split import PLACEHOLDER, DeferredPart, SplitOperation

Execute = Callable[[str], Awaitable[dict[str, Any]]]  # an operation text -> its GraphQL result


async def deliver(split: SplitOperation, execute: Execute) -> AsyncIterator[dict[str, Any]]:
    parents: dict[int, DeferredPart | None] = {}
    for p in split.parts:
        _index(p, None, parents)
    tasks: dict[asyncio.Task[dict[str, Any]], DeferredPart] = {
        asyncio.ensure_future(execute(p.query)): p for p in split.all_parts()
    }
    try:
        first = await execute(split.primary)
        if split.placeholders:
            _strip(first.get("data"))
        known = first.get("data")
        if not isinstance(known, dict):
            yield {**first, "hasNext": False}
            return
        yield {**first, "hasNext": bool(tasks)}
        delivered: set[int] = set()
        finished: dict[int, tuple[DeferredPart, dict[str, Any]]] = {}
        pending = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                part = tasks[t]
                finished[id(part)] = (part, _outcome(t))
            items: list[dict[str, Any]] = []
            progress = True
            while progress:  # a finished fragment goes out once the payload of its parent has
                progress = False
                for pid, (part, result) in list(finished.items()):
                    parent = parents[pid]
                    if parent is not None and id(parent) not in delivered:
                        continue
                    del finished[pid]
                    delivered.add(pid)
                    progress = True
                    items.extend(_items(part, result, known))
            if items:
                yield {"incremental": items, "hasNext": bool(pending or finished)}
        if finished:  # only when a parent's objects vanished; say that the response is over
            yield {"hasNext": False}
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(BaseException):
                await t


def _index(p: DeferredPart, parent: DeferredPart | None, out: dict[int, DeferredPart | None]) -> None:
    out[id(p)] = parent
    for c in p.children:
        _index(c, p, out)


def _outcome(t: asyncio.Task[dict[str, Any]]) -> dict[str, Any]:
    exc = t.exception()
    if exc is None:
        return t.result()
    errors = getattr(exc, "errors", None)  # a RequestError (e.g. a planning failure) carries its errors
    if not isinstance(errors, list):
        errors = [{"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
    return {"data": None, "errors": errors}


def _items(part: DeferredPart, result: dict[str, Any], known: dict[str, Any]) -> list[dict[str, Any]]:
    """One incremental item per object at the fragment's path in what was delivered before (merged into
    `known`); the fragment's errors go to the item whose path they are under (the first item otherwise)."""
    data = result.get("data")
    errors: list[dict[str, Any]] = list(result.get("errors") or ())
    items: list[dict[str, Any]] = []
    for path in _object_paths(known, part.path):
        value = _at(data, path)
        if value is not None and not isinstance(value, dict):
            continue
        if isinstance(value, dict):
            if PLACEHOLDER not in value:
                continue  # the fragment's type condition does not hold for this object
            _strip(value)
        item: dict[str, Any] = {"data": value, "path": list(path)}
        if part.label is not None:
            item["label"] = part.label
        mine = [e for e in errors if _under(e, path)]
        if mine:
            item["errors"] = mine
            errors = [e for e in errors if not _under(e, path)]
        if isinstance(value, dict):
            target = _at(known, path)
            if isinstance(target, dict):  # a copy: later fragments merge into `known`, not into this item
                _merge(target, copy.deepcopy(value))
        items.append(item)
    if errors:
        if items:
            items[0].setdefault("errors", []).extend(errors)
        else:
            item = {"data": None, "path": list(part.path), "errors": errors}
            if part.label is not None:
                item["label"] = part.label
            items.append(item)
    return items


def _object_paths(data: Any, keys: tuple[str, ...]) -> list[tuple[str | int, ...]]:
    """The paths (with list indices) of the objects reached from `data` along response keys `keys`."""
    out: list[tuple[str | int, ...]] = []

    def walk(value: Any, i: int, path: tuple[str | int, ...]) -> None:
        if isinstance(value, list):
            for n, v in enumerate(value):
                walk(v, i, (*path, n))
            return
        if not isinstance(value, dict):
            return
        if i == len(keys):
            out.append(path)
            return
        walk(value.get(keys[i]), i + 1, (*path, keys[i]))

    walk(data, 0, ())
    return out


def _at(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        if isinstance(step, int):
            if not isinstance(data, list) or step >= len(data):
                return None
            data = data[step]
        else:
            if not isinstance(data, dict):
                return None
            data = data.get(step)
    return data


def _under(error: dict[str, Any], path: tuple[str | int, ...]) -> bool:
    p = error.get("path")
    return isinstance(p, list) and tuple(p[: len(path)]) == path


def _merge(into: dict[str, Any], value: dict[str, Any]) -> None:
    for k, v in value.items():
        cur = into.get(k)
        if isinstance(cur, dict) and isinstance(v, dict):
            _merge(cur, v)
        elif isinstance(cur, list) and isinstance(v, list) and len(cur) == len(v):
            for a, b in zip(cur, v, strict=True):
                if isinstance(a, dict) and isinstance(b, dict):
                    _merge(a, b)
        else:
            into[k] = v


def _strip(value: Any) -> None:
    """Removes the placeholders that kept cut selection sets non-empty."""
    if isinstance(value, dict):
        value.pop(PLACEHOLDER, None)
        for v in value.values():
            _strip(v)
    elif isinstance(value, list):
        for v in value:
            _strip(v)
