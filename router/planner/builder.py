"""Builds a query plan: which subgraph fetches which fields, and in which order.

Walks the normalised operation from the root. A field the current subgraph can resolve is added
to that subgraph's selection; any other field opens (or joins) an `_entities` fetch to a subgraph
that can, keyed by a @key that the current subgraph can provide. @requires fields become part of
the representation and are planned first, which orders the fetches.
"""

from __future__ import annotations

from router.planner.fieldset import FieldSetTree, field_set_arguments, parse_field_set, parse_typed_field_set
from router.planner.operation import NormField, same_for_every_type
from router.planner.ownership import Ownership, PlanError
from router.planner.plan import FetchNode, QueryPlan
from router.planner.selection import SelectionSet
from router.supergraph.model import Supergraph

__all__ = ["PlanBuilder", "PlanError", "build_plan", "merge_fields"]


def merge_fields(fields: list[NormField]) -> list[NormField]:
    """Merges fields that share a response key (user selections and internally required ones)."""
    by_key: dict[str, NormField] = {}
    for f in fields:
        prev = by_key.get(f.key)
        if prev is None:
            by_key[f.key] = f
        elif f.composite:
            merged = NormField(**{**prev.__dict__, "sub": dict(prev.sub)})
            for t, fs in f.sub.items():
                merged.sub[t] = merge_fields(merged.sub.get(t, []) + fs)
            by_key[f.key] = merged
    return list(by_key.values())


class PlanBuilder(Ownership):
    def __init__(self, supergraph: Supergraph, variable_defs: dict[str, str]) -> None:
        self.sg = supergraph
        self.variable_defs = variable_defs
        self.nodes: list[FetchNode] = []
        self.root_names = set(supergraph.root_types.values())
        # (path, field name) -> an @interfaceObject subgraph that must be asked for that field at that path
        # anyway (some concrete type there has no other owner): the other types there take it from it too.
        self.sibling_owners: dict[tuple[tuple[str, ...], str], str] = {}

    def new_node(self, graph: str, kind: str, path: tuple[str, ...], op_type: str = "query") -> FetchNode:
        node = FetchNode(len(self.nodes), graph, self.service(graph), kind, path, operation_type=op_type)
        self.nodes.append(node)
        return node

    def plan_root(self, op_type: str, root_type: str, fields: list[NormField]) -> list[FetchNode]:
        groups: list[tuple[str, list[NormField]]] = []
        for f in fields:
            if f.name == "__typename" or f.name.startswith("__"):
                continue
            if op_type == "mutation":
                g = self.choose_graph(root_type, f.name, {groups[-1][0]: []} if groups else {})
                if groups and groups[-1][0] == g:
                    groups[-1][1].append(f)
                else:
                    groups.append((g, [f]))
            else:
                g = self.choose_root_graph(root_type, f, dict(groups))
                for part_g, part in self.split_across(g, root_type, f, None, dict(groups)):
                    for gg, fs in groups:
                        if gg == part_g:
                            fs.append(part)
                            break
                    else:
                        groups.append((part_g, [part]))
        previous: list[FetchNode] = []
        for g, fs in groups:
            start = len(self.nodes)
            node = self.new_node(g, "root", (), op_type)
            if op_type == "mutation":
                node.depends.extend(previous)
            self.plan_in(node, node.selection, root_type, fs, (), None)
            previous = self.nodes[start:]
        self.merge_sibling_fetches()
        for node in self.nodes:
            self.render(node)
        return self.nodes

    def choose_root_graph(self, root_type: str, f: NormField, prefer: dict[str, list[NormField]]) -> str:
        """A shareable root field of abstract type (`node(id:)`) goes to the subgraph that knows the types
        its type conditions select: aliased calls may each need another subgraph."""
        graphs = self.sg.field_graphs(root_type, f.name)
        if not f.abstract or len(graphs) < 2:
            return self.choose_graph(root_type, f.name, prefer)
        keys = [frozenset(x.key for x in fs) for fs in f.sub.values()]
        common = frozenset.intersection(*keys) if keys else frozenset()
        # Types whose selection goes beyond what every possible type selects came from a type condition.
        specific = [t for t, k in zip(f.sub, keys, strict=True) if k - common]
        if not specific:
            return self.choose_graph(root_type, f.name, prefer)
        iface = f.type_name
        here = {g: sum(self.type_in_graph(t, iface, g) for t in specific) for g in graphs}
        best = max(here.values())
        fallback = self.choose_graph(root_type, f.name, prefer)
        if here[fallback] == best:
            return fallback
        ranked = sorted((g for g in graphs if here[g] == best), key=lambda g: g not in prefer)
        return ranked[0]

    def merge_sibling_fetches(self) -> None:
        """One `_entities` fetch per subgraph, path and dependencies: objects of several concrete types at
        the same place (abstract fields) are batched into a single request."""
        first: dict[tuple[str, tuple[str, ...], frozenset[int]], FetchNode] = {}
        replaced: dict[int, FetchNode] = {}
        kept: list[FetchNode] = []
        for node in self.nodes:
            node.depends = list(dict.fromkeys(replaced.get(d.id, d) for d in node.depends))
            if node.kind != "entity":
                kept.append(node)
                continue
            key = (node.graph, node.path, frozenset(d.id for d in node.depends))
            into = first.get(key)
            if into is None:
                first[key] = node
                kept.append(node)
                continue
            into.representation.update(node.representation)
            into.rep_typename.update(node.rep_typename)
            into.selection.merge(node.selection)
            into.variables.update(node.variables)
            replaced[node.id] = into
        for i, node in enumerate(kept):
            node.id = i
        self.nodes = kept

    def plan_in(
        self,
        fetch: FetchNode,
        sel: SelectionSet,
        type_name: str,
        fields: list[NormField],
        path: tuple[str, ...],
        provided: FieldSetTree | None,
        requires_met: bool = False,
        in_fragment: bool = False,
    ) -> None:
        """Plans `fields` of `type_name` objects at `path`, fetched by `fetch` into `sel`.
        `requires_met`: these objects' representations already carry the @requires inputs.
        `in_fragment`: `sel` is a type condition beside others, whose same-named fields may differ in type."""
        provided = self.for_type(provided, type_name)
        local: list[NormField] = []
        groups: dict[str, list[NormField]] = {}
        as_type: dict[str, str] = {}  # graph -> type name the entity is addressed as there
        for f in fields:
            if f.name == "__typename":
                continue
            if self.can_resolve(fetch.graph, type_name, f.name, provided) and (
                requires_met or not self.requires_elsewhere(fetch.graph, type_name, f.name, provided)
            ):
                if in_fragment and f.out is None and self.type_differs(fetch.graph, type_name, f.name):
                    # Its type in this subgraph is not the supergraph's, so a sibling fragment's field of the
                    # same name may conflict with it (GraphQL: fields must merge): the query aliases it.
                    f.out = f.key
                    f.key = f"_fed_{type_name}_{f.key}"
                if f.composite and type_name not in self.root_names and self.has_key(type_name):
                    for g, part in self.split_across(fetch.graph, type_name, f, provided, groups):
                        if g == fetch.graph:
                            local.append(part)
                        else:  # re-entered through this entity
                            groups.setdefault(g, []).append(part)
                    continue
                local.append(f)
            elif self.can_resolve(fetch.graph, type_name, f.name, provided):
                # Owned here, but its @requires inputs live in other subgraphs: a later `_entities`
                # fetch to this same subgraph, once they are known.
                groups.setdefault(fetch.graph, []).append(f)
            else:
                g, addressed = self.sibling_owner(type_name, f.name, path) or self.owner(
                    type_name, f.name, groups
                )
                groups.setdefault(g, []).append(f)
                as_type[g] = addressed

        deps: dict[str, set[str]] = {}
        reps: dict[str, list[NormField]] = {}
        if groups:
            done: set[tuple[str, str]] = set()
            added_by: dict[tuple[str, str], list[NormField]] = {}  # (group, for group) -> inputs asked
            taken = {f.key: f for f in fields}
            changed = True
            while changed:
                changed = False
                for g in list(groups):
                    graph = _graph(g)
                    addressed = as_type.get(g, type_name)
                    needed = self.fieldset_fields(
                        addressed, parse_field_set(self.choose_key(addressed, graph, fetch.graph))
                    )
                    for f in groups[g]:
                        req = self.field_requires(addressed, f.name, graph)
                        if req:
                            needed += self.fieldset_fields(
                                addressed, parse_typed_field_set(req), field_set_arguments(req)
                            )
                    needed = [self.unclashed(rf, taken) for rf in needed]
                    reps[g] = merge_fields(needed)
                    for rf in needed:
                        if (g, rf.key) in done:
                            continue
                        done.add((g, rf.key))
                        changed = True
                        if self.can_resolve(
                            fetch.graph, type_name, rf.name, provided
                        ) and not self.requires_elsewhere(fetch.graph, type_name, rf.name, provided):
                            local.append(rf)
                            continue
                        # Key and @requires inputs must come from elsewhere: g needs them to be asked.
                        owner, addressed_owner = self.owner(type_name, rf.name, groups, exclude=graph)
                        if owner == graph:
                            continue  # g resolves it itself; it only needs the key
                        if _reaches(deps, owner, g):
                            self.split_cycle(groups, deps, as_type, added_by, owner, g)
                            if _reaches(deps, owner, g):
                                # Still waiting for g: ask the owner for this input in a fetch of its own.
                                owner = f"{owner}#{g}"
                        groups.setdefault(owner, []).append(rf)
                        added_by.setdefault((owner, g), []).append(rf)
                        as_type.setdefault(owner, addressed_owner)
                        deps.setdefault(g, set()).add(owner)

        local_start = len(self.nodes)
        for f in merge_fields(local):
            self.add_local(fetch, sel, type_name, f, path, provided)
        local_nodes = self.nodes[local_start:]
        if not groups:
            return
        sel.add("__typename", "__typename")
        created: dict[str, list[FetchNode]] = {}
        for g in self.topo_order(groups, deps, type_name):
            start = len(self.nodes)
            node = self.new_node(_graph(g), "entity", path)
            node.depends.append(fetch)
            needs_local = any(f.composite for f in reps[g])
            if needs_local:
                node.depends.extend(local_nodes)
            for d in sorted(deps.get(g, ())):
                node.depends.extend(created[d])
            rep_sel = SelectionSet()
            addressed = as_type.get(g, type_name)
            self.add_fieldset(rep_sel, addressed, reps[g])
            node.representation[type_name] = rep_sel
            if addressed != type_name:
                node.rep_typename[type_name] = addressed
            frag = node.selection.fragment(addressed)
            self.plan_in(
                node,
                frag,
                addressed,
                merge_fields(groups[g]),
                path,
                None,
                requires_met=True,
                in_fragment=True,
            )
            created[g] = self.nodes[start:]

    @staticmethod
    def split_cycle(
        groups: dict[str, list[NormField]],
        deps: dict[str, set[str]],
        as_type: dict[str, str],
        added_by: dict[tuple[str, str], list[NormField]],
        owner: str,
        g: str,
    ) -> None:
        """`g` needs `owner`, which already waits for `g` because some group on that path needs inputs of
        `g` (shipping's cost needs inventory's weight, which needs shipping's region): those inputs move to
        an earlier fetch of g's subgraph of their own, so g's later fetch can wait for `owner`."""
        for x in list(deps):
            if g not in deps[x] or not (x == owner or _reaches(deps, owner, x)):
                continue
            moved = added_by.pop((g, x), [])
            if not moved or len(moved) == len(groups[g]):
                continue
            pre = f"{_graph(g)}#{x}"
            groups[g] = [f for f in groups[g] if all(f is not m for m in moved)]
            groups.setdefault(pre, []).extend(moved)
            added_by[(pre, x)] = moved
            if g in as_type:
                as_type.setdefault(pre, as_type[g])
            deps[x].discard(g)
            deps[x].add(pre)

    def split_across(
        self,
        graph: str,
        type_name: str,
        f: NormField,
        provided: FieldSetTree | None,
        prefer: dict[str, list[NormField]],
    ) -> list[tuple[str, NormField]]:
        """Composite `f` as parts per subgraph: what `graph` cannot answer below it (fields of value types
        that live elsewhere) goes to another subgraph resolving `f` itself, asked through the same parent
        (a root field or the nearest entity), and the answers merge."""
        if not f.composite:
            return [(graph, f)]
        keep, miss = self.unreachable(graph, f, self.child_provided(graph, type_name, f, provided))
        if miss is None:
            return [(graph, f)]
        others = [g for g in self.sg.field_graphs(type_name, f.name) if g != graph]
        others.sort(key=lambda g: g not in prefer)
        for g in others:
            if self.unreachable(g, miss, None)[1] is None:
                return [(graph, keep), (g, miss)] if keep is not None else [(g, f)]
        return [(graph, f)]  # nobody answers it all: plan as before, the planner reports what is missing

    def unreachable(
        self, graph: str, f: NormField, provided: FieldSetTree | None
    ) -> tuple[NormField | None, NormField | None]:
        """(the part of `f`'s selection `graph` can answer, the part it cannot), each None when empty.
        Entities below are reachable through their keys; only value types' fields can be out of reach."""
        keep_sub: dict[str, list[NormField]] = {}
        miss_sub: dict[str, list[NormField]] = {}
        for t, fields in f.sub.items():
            if self.has_key(t) or (f.abstract and not self.type_in_graph(t, f.type_name, graph)):
                keep_sub[t] = fields
                continue
            provided_t = self.for_type(provided, t)
            keep: list[NormField] = []
            miss: list[NormField] = []
            for x in fields:
                if x.name == "__typename" or x.name.startswith("__"):
                    keep.append(x)
                elif not self.can_resolve(graph, t, x.name, provided_t):
                    miss.append(x)
                elif x.composite:
                    child = provided_t.get(x.name) if provided_t is not None else None
                    k, m = self.unreachable(graph, x, child if isinstance(child, dict) else None)
                    if k is not None:
                        keep.append(k)
                    if m is not None:
                        miss.append(m)
                else:
                    keep.append(x)
            keep_sub[t] = keep
            if miss:
                miss_sub[t] = miss
        if not miss_sub:
            return f, None
        kept = NormField(**{**f.__dict__, "sub": keep_sub})
        missing = NormField(**{**f.__dict__, "sub": {t: miss_sub.get(t, []) for t in f.sub}})
        has_keep = any(x.name != "__typename" for fs in keep_sub.values() for x in fs)
        return (kept if has_keep else None), missing

    def child_provided(
        self, graph: str, type_name: str, f: NormField, provided: FieldSetTree | None
    ) -> FieldSetTree | None:
        if provided is not None and isinstance(provided.get(f.name), dict):
            return provided[f.name]
        fi = self.sg.types[type_name].fields.get(f.name)
        fg = fi.graphs.get(graph) if fi and fi.graphs else None
        return parse_typed_field_set(fg.provides) if fg is not None and fg.provides else None

    def has_key(self, type_name: str) -> bool:
        t = self.sg.types.get(type_name)
        return t is not None and any(t.resolvable_keys(g) for g in t.graphs)

    def topo_order(
        self, groups: dict[str, list[NormField]], deps: dict[str, set[str]], type_name: str
    ) -> list[str]:
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(g: str) -> None:
            if state.get(g) == 2:
                return
            if state.get(g) == 1:
                raise PlanError(f'Circular @requires between subgraphs on type "{type_name}".')
            state[g] = 1
            for d in sorted(deps.get(g, ())):
                visit(d)
            state[g] = 2
            order.append(g)

        for g in groups:
            visit(g)
        return order

    @staticmethod
    def unclashed(rf: NormField, taken: dict[str, NormField]) -> NormField:
        """A key or @requires input whose response key a client alias already uses for another field
        gets a reserved alias, so the representation reads the right value."""
        user = taken.get(rf.key)
        if user is None or (user.name == rf.name and user.args == rf.args):
            return rf
        return NormField(**{**rf.__dict__, "key": f"_fed_{rf.name}"})

    def add_fieldset(self, sel: SelectionSet, type_name: str, fields: list[NormField]) -> None:
        for f in fields:
            sf = sel.add(f.key, f.name, "", f.composite)
            if f.composite and sf.sub is not None:
                for t, sub in f.sub.items():
                    target = sf.sub if not f.abstract else sf.sub.fragment(t)
                    if f.abstract:
                        sf.sub.add("__typename", "__typename")
                    self.add_fieldset(target, t, sub)

    def add_local(
        self,
        fetch: FetchNode,
        sel: SelectionSet,
        type_name: str,
        f: NormField,
        path: tuple[str, ...],
        provided: FieldSetTree | None,
    ) -> None:
        sf = sel.add(f.key, f.name, f.args, f.composite)
        fetch.variables.update(f.variables)
        if not f.composite or sf.sub is None:
            return
        child_provided: FieldSetTree | None = None
        if provided is not None and isinstance(provided.get(f.name), dict):
            child_provided = provided[f.name]
        else:
            fi = self.sg.types[type_name].fields.get(f.name)
            fg = fi.graphs.get(fetch.graph) if fi and fi.graphs else None
            if fg is not None and fg.provides:
                child_provided = parse_typed_field_set(fg.provides)
        child_path = (*path, f.key)
        if f.abstract and self.is_interface_object(f.type_name, fetch.graph):
            self.plan_interface_object(fetch, sf.sub, f, child_path, child_provided)
            return
        if not f.abstract:
            for t, sub in f.sub.items():
                self.plan_in(fetch, sf.sub, t, sub, child_path, child_provided)
            return
        sf.sub.add("__typename", "__typename")
        self.note_sibling_owners(f, child_path)
        here = self.field_type_in(fetch.graph, type_name, f.name)
        if here != f.type_name and self.sg.types[here].kind == "object":
            # This subgraph types the field as one member of the supergraph's abstract type: no type
            # conditions (others could not spread there), only that member's fields.
            self.plan_in(fetch, sf.sub, here, f.sub.get(here, []), child_path, child_provided)
            return
        for t, sub in f.sub.items():
            if not self.type_in_graph(t, here, fetch.graph):
                continue
            self.plan_in(fetch, sf.sub.fragment(t), t, sub, child_path, child_provided, in_fragment=True)

    def note_sibling_owners(self, f: NormField, path: tuple[str, ...]) -> None:
        """For the concrete types selected at `path`: the fields that only an @interfaceObject subgraph
        gives for one of them. A sibling type whose own subgraph also has such a field (@shareable) then
        takes it from that same fetch instead of a fetch of its own (as Apollo's plans do)."""
        for t, sub in f.sub.items():
            for x in sub:
                if x.name.startswith("__") or (path, x.name) in self.sibling_owners:
                    continue
                try:
                    g, addressed = self.owner(t, x.name, {})
                except PlanError:
                    continue
                if addressed != t:
                    self.sibling_owners[(path, x.name)] = g

    def sibling_owner(self, type_name: str, fname: str, path: tuple[str, ...]) -> tuple[str, str] | None:
        """(the noted @interfaceObject subgraph, the interface to address it as), when it gives `fname` for
        `type_name` objects at `path` too."""
        g = self.sibling_owners.get((path, fname))
        if g is None:
            return None
        for iface in self.interfaces_of(type_name):
            if self.is_interface_object(iface, g) and g in self.sg.field_graphs(iface, fname):
                return g, iface
        return None

    def plan_interface_object(
        self,
        fetch: FetchNode,
        sel: SelectionSet,
        f: NormField,
        path: tuple[str, ...],
        provided: FieldSetTree | None,
    ) -> None:
        """An interface that this subgraph only knows as an @interfaceObject: it answers the interface's
        own fields here, then an `_entities` fetch to a subgraph owning the real interface learns each
        object's concrete type and the concrete types' fields."""
        iface = f.type_name
        g = fetch.graph
        here: list[NormField] = []
        rest: dict[str, list[NormField]] = {}
        for concrete, fields in f.sub.items():
            rest[concrete] = []
            for x in fields:
                if x.name != "__typename" and self.can_resolve(g, iface, x.name, provided):
                    here.append(x)
                else:
                    rest[concrete].append(x)
        owners = [
            h
            for h, tig in self.sg.types[iface].graphs.items()
            if not tig.interface_object and any(k.resolvable for k in tig.keys)
        ]
        if not any(rest.values()) and same_for_every_type(f) is not None:
            # Nothing here depends on the concrete type: no need to ask the interface's owner for it.
            sel.add("__typename", "__typename")
            self.plan_in(fetch, sel, iface, merge_fields(here), path, provided)
            return
        if not owners:
            raise PlanError(f'No subgraph resolves the concrete types of interface "{iface}".')
        h = owners[0]
        key = self.fieldset_fields(iface, parse_field_set(self.choose_key(iface, h, g)))
        sel.add("__typename", "__typename")
        self.plan_in(fetch, sel, iface, merge_fields(here + key), path, provided)
        node = self.new_node(h, "entity", path)
        node.depends.append(fetch)
        rep_sel = SelectionSet()
        self.add_fieldset(rep_sel, iface, key)
        node.representation[iface] = rep_sel
        node.selection.add("__typename", "__typename")
        for concrete, fields in rest.items():
            if fields and self.type_in_graph(concrete, iface, h):
                self.plan_in(
                    node,
                    node.selection.fragment(concrete),
                    concrete,
                    merge_fields(fields),
                    path,
                    None,
                    in_fragment=True,
                )

    def render(self, node: FetchNode) -> None:
        var_defs = [self.variable_defs[v] for v in sorted(node.variables) if v in self.variable_defs]
        if node.kind == "root":
            head = node.operation_type
            if var_defs:
                head += "(" + ",".join(var_defs) + ")"
            node.query = head + node.selection.render()
        else:
            defs = ",".join(["$representations:[_Any!]!", *var_defs])
            rep = node.representation
            reps = (f"{t}>{node.rep_typename.get(t, t)}{rep[t].render()}" for t in sorted(rep))
            node.rep_key = ".".join(node.path) + "|" + "|".join(reps)
            node.query = (
                f"query({defs}){{_entities(representations:$representations){node.selection.render()}}}"
            )


def _graph(group: str) -> str:
    """The subgraph of an entity-fetch group: its name, or `NAME#...` for an earlier fetch to the same
    subgraph (inputs of another subgraph's @requires that themselves wait for this subgraph)."""
    return group.partition("#")[0]


def _reaches(deps: dict[str, set[str]], start: str, target: str) -> bool:
    """Whether the fetch group `start` waits, directly or not, for `target`."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        g = todo.pop()
        if g == target:
            return True
        if g not in seen:
            seen.add(g)
            todo.extend(deps.get(g, ()))
    return False


def build_plan(
    supergraph: Supergraph,
    op_type: str,
    fields: list[NormField],
    variable_defs: dict[str, str],
) -> QueryPlan:
    root_type = supergraph.root_types.get(op_type)
    if root_type is None:
        raise PlanError(f"The supergraph has no {op_type} type.")
    builder = PlanBuilder(supergraph, variable_defs)
    nodes = builder.plan_root(op_type, root_type, fields)
    intro = [f for f in fields if f.name in ("__schema", "__type")]
    return QueryPlan(op_type, root_type, fields, nodes, intro)
