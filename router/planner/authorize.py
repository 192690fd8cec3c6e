"""Authorization at the router (as Apollo Router does it): fields the request may not read are cut from the
tree that is planned, so no subgraph is asked for them; the client's tree keeps them, so they answer null, and
each occurrence gets an UNAUTHORIZED_FIELD_OR_TYPE error at its response path. The rest still runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from router.planner.operation import NormField
from router.supergraph.authorization import Requirement
from router.supergraph.model import Supergraph


@dataclass(frozen=True)
class Removed:
    path: tuple[str, ...]  # response keys of the parent objects from the data root (lists flattened)
    key: str  # the removed field's response key
    parent_type: str | None  # the parents' concrete type when the parent field is abstract


def requirements_in(sg: Supergraph, root_type: str, fields: list[NormField]) -> list[Requirement]:
    """The distinct requirements an operation meets, in a stable order: which of them a request satisfies
    decides its plan."""
    out: dict[Requirement, None] = {}

    def walk(parent: str, fs: list[NormField]) -> None:
        for f in fs:
            if f.name.startswith("__"):
                continue
            req = sg.field_requirement(parent, f.name, f.type_name)
            if req is not None:
                out.setdefault(req)
            for t, sub in f.sub.items():
                walk(t, sub)

    walk(root_type, fields)
    return list(out)


def authorized(
    sg: Supergraph, root_type: str, fields: list[NormField], allowed: Callable[[Requirement], bool]
) -> tuple[list[NormField], list[Removed]]:
    """The tree without the fields `allowed` refuses (copied where cut), and what was cut."""
    removed: list[Removed] = []

    def walk(parent: str, fs: list[NormField], path: tuple[str, ...], typed: bool) -> list[NormField]:
        kept: list[NormField] = []
        for f in fs:
            req = None if f.name.startswith("__") else sg.field_requirement(parent, f.name, f.type_name)
            if req is not None and not allowed(req):
                removed.append(Removed(path, f.out or f.key, parent if typed else None))
                continue
            if f.composite:
                sub = {t: walk(t, s, (*path, f.key), f.abstract) for t, s in f.sub.items()}
                if any(
                    len(sub[t]) != len(s) or any(a is not b for a, b in zip(sub[t], s, strict=True))
                    for t, s in f.sub.items()
                ):
                    f = NormField(**{**f.__dict__, "sub": sub})
            kept.append(f)
        return kept

    return walk(root_type, fields, (), False), removed
