"""Who can resolve what: field ownership, keys, @requires inputs and @interfaceObject routing.

The planner's questions about the supergraph, kept apart from the planning walk itself.
"""

from __future__ import annotations

from router.planner.fieldset import CONDITION, FieldSetTree, conditions, parse_field_set
from router.planner.operation import LIST, NN, NormField
from router.supergraph.model import Supergraph

_COMPOSITE = ("object", "interface", "union")


class PlanError(Exception):
    """The operation cannot be resolved by the subgraphs (a supergraph gap, not a client error)."""


def parse_type_ref(t: str) -> tuple[str, tuple[int, ...]]:
    wrappers: list[int] = []
    t = t.strip()
    while True:
        if t.endswith("!"):
            wrappers.append(NN)
            t = t[:-1]
        elif t.startswith("["):
            wrappers.append(LIST)
            t = t[1:-1]
        else:
            return t, tuple(wrappers)


class Ownership:
    sg: Supergraph

    def can_resolve(self, graph: str, type_name: str, fname: str, provided: FieldSetTree | None) -> bool:
        if fname == "__typename":
            return True
        if provided is not None and fname in provided:
            return True
        t = self.sg.types.get(type_name)
        if t is None:
            return False
        if t.graphs and graph not in t.graphs:
            return False
        return graph in self.sg.field_graphs(type_name, fname)

    def choose_graph(self, type_name: str, fname: str, prefer: dict[str, list[NormField]]) -> str:
        return self.owner(type_name, fname, prefer, entity=False)[0]

    def owner(
        self,
        type_name: str,
        fname: str,
        prefer: dict[str, list[NormField]],
        exclude: str | None = None,
        entity: bool = True,
    ) -> tuple[str, str]:
        """(subgraph, type to address the entity as) for a field reached through `_entities`: only
        subgraphs with a resolvable @key for the type qualify. Fields added by an @interfaceObject are
        fetched from that subgraph as the interface, since it does not know the concrete type."""
        t = self.sg.types.get(type_name)
        candidates = [
            g
            for g in self.sg.field_graphs(type_name, fname)
            if g != exclude and (not entity or (t is not None and t.resolvable_keys(g)))
        ]
        if entity and t is not None:
            # A subgraph whose every key holds the field cannot be the one to give it: asking it needs
            # the field already. Such candidates go last.
            candidates.sort(
                key=lambda g: all(fname in parse_field_set(k.fields) for k in t.resolvable_keys(g))
            )
        for c in candidates:
            if c in prefer:
                return c, type_name
        if candidates:
            return candidates[0], type_name
        for iface in self.interfaces_of(type_name):
            it = self.sg.types.get(iface)
            for g, tig in it.graphs.items() if it else ():
                if tig.interface_object and g in self.sg.field_graphs(iface, fname):
                    return g, iface
        raise PlanError(f'No subgraph can resolve field "{type_name}.{fname}".')

    def requires_elsewhere(
        self, graph: str, type_name: str, fname: str, provided: FieldSetTree | None
    ) -> bool:
        req = self.field_requires(type_name, fname, graph)
        if not req:
            return False
        return not self._available(graph, type_name, parse_field_set(req), provided)

    def _available(self, graph: str, type_name: str, fs: FieldSetTree, provided: FieldSetTree | None) -> bool:
        t = self.sg.types.get(type_name)
        for name, sub in fs.items():
            if not self.can_resolve(graph, type_name, name, provided):
                return False
            if sub and t is not None and name in t.fields:
                child = parse_type_ref(t.fields[name].type)[0]
                inner = provided.get(name) if provided is not None else None
                child_provided = inner if isinstance(inner, dict) else None
                if not self._available(graph, child, sub, child_provided):
                    return False
        return True

    def for_type(self, provided: FieldSetTree | None, type_name: str) -> FieldSetTree | None:
        """The fields of a typed field set that apply to objects of `type_name`: the unconditioned ones and
        those under a type condition it satisfies (`@provides(fields: "... on Book { name }")` provides
        nothing for a Film; a @requires input `... on Parcel { weight }` is only asked of Parcels)."""
        if not provided or not any(k.startswith(CONDITION) for k in provided):
            return provided
        out = {k: v for k, v in provided.items() if not k.startswith(CONDITION)}
        for cond, sub in conditions(provided):
            if cond == type_name or cond in self.possible_types_set(type_name):
                for k, v in (self.for_type(sub, type_name) or {}).items():
                    prev = out.get(k)
                    out[k] = {**prev, **v} if isinstance(prev, dict) and isinstance(v, dict) else (v or prev)
        return out

    def possible_types_set(self, type_name: str) -> set[str]:
        """`type_name` and the abstract types it belongs to (interfaces, unions)."""
        out = set(self.interfaces_of(type_name))
        for t in self.sg.types.values():
            if t.kind == "union" and any(type_name in m for m in (t.union_members or {}).values()):
                out.add(t.name)
        return out

    def interfaces_of(self, type_name: str) -> list[str]:
        t = self.sg.api_schema.get_type(type_name)
        return [i.name for i in getattr(t, "interfaces", ())]

    def is_interface_object(self, type_name: str, graph: str) -> bool:
        t = self.sg.types.get(type_name)
        tig = t.graphs.get(graph) if t else None
        return tig is not None and tig.interface_object

    def fieldset_fields(
        self, type_name: str, fs: FieldSetTree, args: dict[str, str] | None = None
    ) -> list[NormField]:
        """Field set -> fields to select; `args`: printed arguments of its top-level fields (@requires)."""
        t = self.sg.types[type_name]
        out: list[NormField] = []
        for name, sub in fs.items():
            if name == "__typename" or name.startswith(CONDITION):
                continue  # type conditions are applied per concrete type below
            fi = t.fields.get(name)
            if fi is None:
                raise PlanError(f'Field set refers to unknown field "{type_name}.{name}".')
            named, wrappers = parse_type_ref(fi.type)
            nt = self.sg.types.get(named)
            kind = nt.kind if nt is not None else "scalar"
            composite = kind in _COMPOSITE
            nf = NormField(
                name,
                name,
                args.get(name, "") if args else "",
                frozenset(),
                named,
                wrappers,
                composite,
                composite and kind != "object",
            )
            if composite and sub is not None:
                for concrete in self.possible_types(named):
                    nf.sub[concrete] = self.fieldset_fields(concrete, self.for_type(sub, concrete) or {})
            out.append(nf)
        return out

    def possible_types(self, type_name: str) -> list[str]:
        t = self.sg.api_schema.get_type(type_name)
        if t is None or self.sg.types[type_name].kind == "object":
            return [type_name]
        return [p.name for p in self.sg.api_schema.get_possible_types(t)]  # type: ignore[arg-type]

    def choose_key(self, type_name: str, target: str, source: str) -> str:
        t = self.sg.types[type_name]
        keys = t.resolvable_keys(target)
        if not keys:
            raise PlanError(
                f'Type "{type_name}" has no resolvable @key in subgraph "{self.service(target)}".'
            )
        for k in keys:
            if all(self.can_resolve(source, type_name, n, None) for n in parse_field_set(k.fields)):
                return k.fields
        return keys[0].fields

    def service(self, graph: str) -> str:
        return self.sg.graphs[graph].name

    def field_requires(self, type_name: str, fname: str, graph: str) -> str | None:
        fi = self.sg.types[type_name].fields.get(fname)
        if fi is None or fi.graphs is None:
            return None
        fg = fi.graphs.get(graph)
        return fg.requires if fg else None

    def field_type_in(self, graph: str, type_name: str, fname: str) -> str:
        """The named type of `type_name.fname` in subgraph `graph` (join__field(type:) when it differs)."""
        fi = self.sg.types[type_name].fields[fname]
        fg = fi.graphs.get(graph) if fi.graphs else None
        return parse_type_ref(fg.type if fg is not None and fg.type else fi.type)[0]

    def type_differs(self, graph: str, type_name: str, fname: str) -> bool:
        t = self.sg.types.get(type_name)
        fi = t.fields.get(fname) if t else None
        fg = fi.graphs.get(graph) if fi is not None and fi.graphs else None
        return fg is not None and fg.type is not None and fg.type != fi.type  # type: ignore[union-attr]

    def type_in_graph(self, concrete: str, abstract: str, graph: str) -> bool:
        t = self.sg.types.get(concrete)
        if t is None or (t.graphs and graph not in t.graphs):
            return False
        a = self.sg.types.get(abstract)
        if a is None:
            return True
        if a.kind == "union":
            return not a.union_members or concrete in a.union_members.get(graph, set())
        return not t.implements or abstract in t.implements.get(graph, set())
