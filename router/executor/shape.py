"""Compiled response shaping: the fast path of `complete`.

For each plan, the normalised selection is turned into straight-line Python functions (one per
selection set and concrete type), which build the answer dicts in selection order. They do not track
paths: when any null has to propagate, the caller reruns the interpretive `Completion`, which
reports errors with exact paths. That only costs something on responses that carry such errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from router.executor.complete import INVALID, complete
from router.planner.operation import LIST, NN, NormField, same_for_every_type

Shaper = Callable[[dict[str, Any], list[dict[str, Any]]], Any]


class _Compiler:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.n = 0
        self.objects: dict[int, str] = {}

    def name(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def obj(self, type_name: str, fields: list[NormField]) -> str:
        memo = self.objects.get(id(fields))
        if memo is not None:
            return memo
        fn = self.name("o")
        self.objects[id(fields)] = fn
        body = [f"def {fn}(o):", "    g = o.get"]
        items: list[str] = []
        for i, f in enumerate(fields):
            k = repr(f.key)
            out_key = repr(f.out or f.key)
            if f.name == "__typename":
                items.append(f"{out_key}: {type_name!r}")
                continue
            v = f"v{i}"
            nn = bool(f.wrappers) and f.wrappers[0] == NN
            conv = self.value(f, f.wrappers, 0)
            body.append(f"    {v} = g({k})")
            if conv is None:
                if nn:
                    body.append(f"    if {v} is None: return INVALID")
            elif nn:
                body.append(f"    if {v} is None: return INVALID")
                body.append(f"    {v} = {conv}({v})")
                body.append(f"    if {v} is INVALID: return INVALID")
            else:
                body.append(f"    if {v} is not None:")
                body.append(f"        {v} = {conv}({v})")
                body.append(f"        if {v} is INVALID:")
                body.append(f"            {v} = None")
                body.append("            BAD.append(1)")
            items.append(f"{out_key}: {v}")
        body.append("    return {" + ", ".join(items) + "}")
        self.lines += body
        return fn

    def value(self, f: NormField, w: tuple[int, ...], i: int) -> str | None:
        """Name of a function converting a non-null value at wrapper position i; None for identity."""
        if i < len(w) and w[i] == NN:
            i += 1
        if i < len(w) and w[i] == LIST:
            item_nn = i + 1 < len(w) and w[i + 1] == NN
            inner = self.value(f, w, i + 1)
            fn = self.name("l")
            body = [f"def {fn}(v):", "    if type(v) is not list: return INVALID"]
            if inner is None:
                if item_nn:
                    body.append("    if None in v: return INVALID")
                body.append("    return v")
            else:
                body += [
                    "    out = []",
                    "    ap = out.append",
                    "    for x in v:",
                    "        if x is not None:",
                    f"            x = {inner}(x)",
                    "            if x is INVALID:",
                    "                if NN_ITEMS: return INVALID".replace("NN_ITEMS", str(item_nn)),
                    "                x = None",
                    "                BAD.append(1)",
                ]
                if item_nn:
                    body.append("        else: return INVALID")
                body += ["        ap(x)", "    return out"]
            self.lines += body
            return fn
        if not f.composite:
            if f.enum_values is None:
                return None
            fn = self.name("e")
            allowed = self.name("A")
            self.lines += [
                f"{allowed} = frozenset({sorted(f.enum_values)!r})",
                f"def {fn}(v):",
                f"    return v if v in {allowed} else INVALID",
            ]
            return fn
        fn = self.name("c")
        if not f.abstract:
            target = self.obj(f.type_name, f.sub[f.type_name])
            self.lines += [
                f"def {fn}(v):",
                "    if type(v) is not dict: return INVALID",
                f"    return {target}(v)",
            ]
            return fn
        table = self.name("D")
        entries = ", ".join(f"{t!r}: {self.obj(t, sub)}" for t, sub in f.sub.items())
        uniform = same_for_every_type(f)
        if uniform is not None and f.type_name not in f.sub:
            # An @interfaceObject subgraph types its objects as the interface itself.
            entries += f", {f.type_name!r}: {self.obj(f.type_name, uniform)}"
        self.lines += [
            f"{table} = {{{entries}}}",
            f"def {fn}(v):",
            "    if type(v) is not dict: return INVALID",
            f"    h = {table}.get(v.get('__typename'))",
            "    if h is None: return INVALID",
            "    return h(v)",
        ]
        return fn


def compile_shaper(root_type: str, fields: list[NormField]) -> Shaper:
    c = _Compiler()
    root = c.obj(root_type, fields)
    bad: list[int] = []
    ns: dict[str, Any] = {"INVALID": INVALID, "BAD": bad}
    exec("\n".join(c.lines), ns)
    fast = ns[root]

    def shape(data: dict[str, Any], errors: list[dict[str, Any]]) -> Any:
        bad.clear()
        out = fast(data)
        if out is INVALID or bad:
            bad.clear()
            return complete(data, root_type, fields, errors)
        return out

    return shape
