"""Walking and merging the response tree that the fetches fill in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from router.planner.selection import SelectionSet


def _flatten(v: list[Any], out: list[dict[str, Any]]) -> None:
    for item in v:
        if type(item) is dict:
            out.append(item)
        elif type(item) is list:
            _flatten(item, out)


def objects_at(data: dict[str, Any], path: tuple[str, ...]) -> list[dict[str, Any]]:
    current = [data]
    for key in path:
        nxt: list[dict[str, Any]] = []
        append = nxt.append
        for obj in current:
            v = obj.get(key)
            if type(v) is dict:
                append(v)
            elif type(v) is list:
                for item in v:  # _flatten inlined: lists of objects are the common case
                    if type(item) is dict:
                        append(item)
                    elif type(item) is list:
                        _flatten(item, nxt)
        current = nxt
    return current


def _paths_flatten(v: list[Any], base: list[Any], out: list[tuple[list[Any], dict[str, Any]]]) -> None:
    for i, item in enumerate(v):
        if isinstance(item, dict):
            out.append(([*base, i], item))
        elif isinstance(item, list):
            _paths_flatten(item, [*base, i], out)


def objects_with_paths(data: dict[str, Any], path: tuple[str, ...]) -> list[tuple[list[Any], dict[str, Any]]]:
    """Like `objects_at`, with each object's response path (only needed to map errors)."""
    current: list[tuple[list[Any], dict[str, Any]]] = [([], data)]
    for key in path:
        nxt: list[tuple[list[Any], dict[str, Any]]] = []
        for p, obj in current:
            v = obj.get(key)
            if isinstance(v, dict):
                nxt.append(([*p, key], v))
            elif isinstance(v, list):
                _paths_flatten(v, [*p, key], nxt)
        current = nxt
    return current


def deep_merge(target: dict[str, Any], src: dict[str, Any]) -> None:
    for k, v in src.items():
        cur = target.get(k)
        if cur is None or v is None:
            if cur is None:
                target[k] = v
        elif type(v) is dict and type(cur) is dict:
            deep_merge(cur, v)
        elif type(v) is list and type(cur) is list and len(v) == len(cur):
            merge_lists(cur, v)
        else:
            target[k] = v


def merge_into(target: dict[str, Any], src: dict[str, Any]) -> None:
    """`deep_merge`, with the common case first: none of the fetched keys are there yet."""
    if target.keys().isdisjoint(src):
        target.update(src)
    else:
        deep_merge(target, src)


def merge_lists(cur: list[Any], new: list[Any]) -> None:
    for i, (a, b) in enumerate(zip(cur, new, strict=True)):
        if type(a) is dict and type(b) is dict:
            deep_merge(a, b)
        elif type(a) is list and type(b) is list and len(a) == len(b):
            merge_lists(a, b)
        elif a is None:
            cur[i] = b


_MISSING = object()


def extract(obj: dict[str, Any], sel: SelectionSet) -> dict[str, Any] | None:
    """Builds (part of) a representation from an object; None when a needed field is absent."""
    out: dict[str, Any] = {}
    for key, f in sel.fields.items():
        v = obj.get(key, _MISSING)
        if v is _MISSING:
            if key == "__typename":
                continue
            return None
        if f.sub is not None and v is not None:
            v = _extract_value(v, f.sub)
            if v is _MISSING:
                return None
        out[f.name] = v  # representations use field names, whatever alias fetched them
    if sel.fragments:
        tn = obj.get("__typename")
        frag = sel.fragments.get(tn) if isinstance(tn, str) else None
        if frag is not None:
            part = extract(obj, frag)
            if part is None:
                return None
            out.update(part)
    return out


def _extract_value(v: Any, sel: SelectionSet) -> Any:
    if isinstance(v, list):
        items = [_extract_value(i, sel) if i is not None else None for i in v]
        return _MISSING if any(i is _MISSING for i in items) else items
    if isinstance(v, dict):
        r = extract(v, sel)
        return _MISSING if r is None else r
    return v


RepBuilder = Callable[[dict[str, Any]], "dict[str, Any] | None"]


def rep_builder(sel: SelectionSet | None, typename: str) -> RepBuilder:
    """What `extract(obj, sel)` plus `"__typename": typename` builds, as one function. A selection of plain
    fields (the usual key: `id`, `upc`) becomes straight-line code, one `get` per field and a dict literal,
    so the walk over a fetch's objects pays no generic extraction per object."""
    if sel is None:
        return _no_representation
    if sel.fragments or any(f.sub is not None for f in sel.fields.values()):
        def build(obj: dict[str, Any]) -> dict[str, Any] | None:
            rep = extract(obj, sel)
            if rep is not None:
                rep["__typename"] = typename
            return rep
        return build
    lines = ["def build(obj, _M=_M):"]
    items: list[str] = []
    for i, (key, f) in enumerate(sel.fields.items()):
        if key == "__typename":  # the object has one (it was read to pick this builder); the rep's wins
            items.append(f"'__typename': {typename!r}")
            continue
        lines += [f"    v{i} = obj.get({key!r}, _M)", f"    if v{i} is _M:", "        return None"]
        items.append(f"{f.name!r}: v{i}")
    if "__typename" not in sel.fields:
        items.append(f"'__typename': {typename!r}")
    lines.append("    return {" + ", ".join(items) + "}")
    scope: dict[str, Any] = {"_M": _MISSING}
    exec(compile("\n".join(lines), f"<representation {typename}>", "exec"), scope)
    built: RepBuilder = scope["build"]
    return built


def _no_representation(obj: dict[str, Any]) -> None:
    return None
