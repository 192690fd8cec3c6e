"""Shapes the merged data into the client's answer: selection order, only selected fields,
GraphQL null propagation (a null in a non-null position nulls the nearest nullable parent)."""

from __future__ import annotations

from typing import Any

from router.planner.operation import LIST, NN, NormField, same_for_every_type

INVALID: Any = object()


class Completion:
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors

    def null_error(self, path: list[Any], parent_type: str, fname: str) -> None:
        # A subgraph usually reported the reason already; only add one when nobody did.
        n = len(path)
        for e in self.errors:
            p = e.get("path")
            if p is not None and p[:n] == path:
                return
        self.errors.append(
            {
                "message": f"Cannot return null for non-nullable field {parent_type}.{fname}.",
                "path": list(path),
            }
        )

    def enum_error(self, path: list[Any], f: NormField, v: Any) -> None:
        self.errors.append(
            {"message": f'Enum "{f.type_name}" cannot represent value: {v!r}', "path": list(path)}
        )

    def object(self, obj: dict[str, Any], type_name: str, fields: list[NormField], path: list[Any]) -> Any:
        out: dict[str, Any] = {}
        get = obj.get
        for f in fields:
            k = f.key
            ok = f.out or k  # the client's key (k is a planner alias when the two differ)
            if f.name == "__typename":
                out[ok] = type_name
                continue
            v = get(k)
            w = f.wrappers
            if v is None:
                if w and w[0] == NN:
                    path.append(ok)
                    self.null_error(path, type_name, f.name)
                    path.pop()
                    return INVALID
                out[ok] = None
                continue
            if not f.composite and (not w or (w[0] == NN and len(w) == 1)):
                if f.enum_values is not None and v not in f.enum_values:
                    path.append(ok)
                    self.enum_error(path, f, v)
                    path.pop()
                    if w:
                        return INVALID
                    v = None
                out[ok] = v
                continue
            path.append(ok)
            r = self.value(v, f, w, 0, path, type_name)
            path.pop()
            if r is INVALID:
                if w and w[0] == NN:
                    return INVALID
                r = None
            out[ok] = r
        return out

    def value(self, v: Any, f: NormField, w: tuple[int, ...], i: int, path: list[Any], parent: str) -> Any:
        if i < len(w) and w[i] == NN:
            i += 1
        if i < len(w) and w[i] == LIST:
            if not isinstance(v, list):
                return INVALID
            item_nn = i + 1 < len(w) and w[i + 1] == NN
            out: list[Any] = []
            leaf = not f.composite and i + 1 + item_nn == len(w)
            for idx, item in enumerate(v):
                if item is None:
                    if item_nn:
                        path.append(idx)
                        self.null_error(path, parent, f.name)
                        path.pop()
                        return INVALID
                    out.append(None)
                    continue
                if leaf and (f.enum_values is None or item in f.enum_values):
                    out.append(item)
                    continue
                path.append(idx)
                r = self.value(item, f, w, i + 1, path, parent)
                path.pop()
                if r is INVALID:
                    if item_nn:
                        return INVALID
                    r = None
                out.append(r)
            return out
        if not f.composite:
            if f.enum_values is not None and v not in f.enum_values:
                self.enum_error(path, f, v)
                return INVALID
            return v
        if not isinstance(v, dict):
            return INVALID
        tn = v.get("__typename") if f.abstract else f.type_name
        sub = f.sub.get(tn) if isinstance(tn, str) else None
        if sub is None and tn == f.type_name:
            sub = same_for_every_type(f)  # typed as the interface by an @interfaceObject subgraph
        if sub is None:
            return INVALID
        return self.object(v, tn, sub, path)  # type: ignore[arg-type]


def complete(
    data: dict[str, Any], root_type: str, fields: list[NormField], errors: list[dict[str, Any]]
) -> Any:
    r = Completion(errors).object(data, root_type, fields, [])
    return None if r is INVALID else r
