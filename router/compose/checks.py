"""Composition checks over the whole set of subgraphs: unused @external fields, fields no query can
reach, @interfaceObject without an entity interface. Each problem names the subgraph, type and field."""

from __future__ import annotations

from typing import TYPE_CHECKING

from router.planner.fieldset import CONDITION, FieldSetTree, parse_field_set, parse_typed_field_set

if TYPE_CHECKING:
    from router.compose.merged import MType
    from router.compose.subgraph import Subgraph

ROOT_TYPES = ("Query", "Mutation", "Subscription")
Problem = tuple[str, str]


def _named(t: str) -> str:
    return t.replace("[", "").replace("]", "").replace("!", "")


def _names(fs: str, typed: bool = False) -> FieldSetTree:
    try:
        return parse_typed_field_set(fs) if typed else parse_field_set(fs)
    except Exception:  # reported by the field-set checks
        return {}


def external_unused(graphs: dict[str, Subgraph]) -> list[Problem]:
    """An @external field must serve a @key, a @requires or a @provides of its subgraph."""
    problems: list[Problem] = []
    for sub in graphs.values():
        if not sub.federation_v2:
            continue
        used: dict[str, set[str]] = {}
        for t in sub.types.values():
            for key, _ in t.keys:
                _mark(sub, used, t.name, _names(key))
            for f in t.fields.values():
                if f.requires:
                    _mark(sub, used, t.name, _names(f.requires))
                if f.provides:
                    _mark(sub, used, _named(f.type), _names(f.provides, typed=True))
        for t in sub.types.values():
            for f in t.fields.values():
                if f.external and f.name not in used.get(t.name, set()):
                    problems.append(
                        (
                            "EXTERNAL_UNUSED",
                            f'[{sub.name}] Field "{t.name}.{f.name}" is marked @external but is not used by '
                            f"any federation directive (@key, @provides, @requires) or to satisfy an "
                            f"interface; the field declaration has no use and should be removed.",
                        )
                    )
    return problems


def _mark(sub: Subgraph, used: dict[str, set[str]], type_name: str, tree: FieldSetTree) -> None:
    t = sub.types.get(type_name)
    used.setdefault(type_name, set()).update(tree)
    for name, child in tree.items():
        if name.startswith(CONDITION):
            _mark(sub, used, name[len(CONDITION) :], child or {})
            continue
        f = t.fields.get(name) if t else None
        if child and f is not None:
            _mark(sub, used, _named(f.type), child)


def _returned_types(sub: Subgraph) -> set[str]:
    """Types a subgraph can hand out from its own fields, abstract types expanded to their members."""
    out = {_named(f.type) for t in sub.types.values() for f in t.fields.values() if not f.external}
    changed = True
    while changed:
        changed = False
        for t in sub.types.values():
            if t.name in out:
                continue
            if any(m == t.name for u in sub.types.values() if u.name in out for m in u.members) or any(
                i in out for i in t.interfaces
            ):
                out.add(t.name)
                changed = True
    return out


def unreachable_fields(graphs: dict[str, Subgraph], types: dict[str, MType]) -> list[Problem]:
    """A field only subgraphs that cannot be asked about its type resolve can never be queried."""
    problems: list[Problem] = []
    returned = {g: _returned_types(sub) for g, sub in graphs.items()}

    def reachable(g: str, type_name: str) -> bool:
        t = graphs[g].types.get(type_name)
        if t is None:
            return False
        return type_name in ROOT_TYPES or any(r for _, r in t.keys) or type_name in returned[g]

    for mt in types.values():
        if mt.kind != "object" or mt.name in ROOT_TYPES:
            continue
        for mf in mt.fields.values():
            owners = [g for g, f in mf.graphs.items() if not f.external]
            if owners and not any(reachable(g, mt.name) for g in owners):
                subs = ", ".join(f'"{graphs[g].name}"' for g in owners)
                problems.append(
                    (
                        "SATISFIABILITY_ERROR",
                        f'The field "{mt.name}.{mf.name}" cannot be reached: only subgraph(s) {subs} resolve '
                        f'it, and none of them can be asked for a "{mt.name}" (no resolvable @key, no field '
                        f"returning it).",
                    )
                )
    return problems


def interface_objects_without_entity(graphs: dict[str, Subgraph], types: dict[str, MType]) -> list[Problem]:
    problems: list[Problem] = []
    for mt in types.values():
        for g, t in mt.graphs.items():
            if not t.interface_object:
                continue
            entity = any(
                not other.interface_object and other.kind == "interface" and any(r for _, r in other.keys)
                for og, other in mt.graphs.items()
                if og != g
            )
            if not entity:
                problems.append(
                    (
                        "SATISFIABILITY_ERROR",
                        f'[{graphs[g].name}] Type "{mt.name}" is an @interfaceObject, but no subgraph '
                        f'defines "{mt.name}" as an interface with a resolvable @key.',
                    )
                )
    return problems


def inaccessible_misuse(types: dict[str, MType]) -> list[Problem]:
    """The API schema may not reference an @inaccessible type, nor keep a type whose children are all
    @inaccessible."""
    out: list[Problem] = []
    hidden = {n for n, t in types.items() if t.inaccessible}
    for t in types.values():
        if t.inaccessible:
            continue
        for f in t.fields.values():
            if f.inaccessible:
                continue
            refs = [(f"{t.name}.{f.name}", f.type)]
            refs += [(f"{t.name}.{f.name}({a.name}:)", a.type) for a in f.args if not a.inaccessible]
            for where, type_ref in refs:
                if _named(type_ref) in hidden:
                    out.append(
                        (
                            "REFERENCED_INACCESSIBLE",
                            f'Type "{_named(type_ref)}" is @inaccessible but is referenced by "{where}", '
                            f"which is in the API schema.",
                        )
                    )
        if t.kind == "union":
            what, all_hidden = "members", bool(t.members) and all(m in hidden for m in t.members)
        elif t.kind == "enum":
            what, all_hidden = "values", bool(t.values) and all(v.inaccessible for v in t.values.values())
        else:
            what, all_hidden = "fields", bool(t.fields) and all(f.inaccessible for f in t.fields.values())
        if all_hidden:
            out.append(
                (
                    "ONLY_INACCESSIBLE_CHILDREN",
                    f'Type "{t.name}" is in the API schema but all of its {what} are @inaccessible.',
                )
            )
    return out
