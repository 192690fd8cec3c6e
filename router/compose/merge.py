"""Merging subgraphs into one supergraph model, with the Federation v2 composition rules we enforce."""

from __future__ import annotations

import re

from router.compose.checks import (
    external_unused,
    inaccessible_misuse,
    interface_objects_without_entity,
    unreachable_fields,
)
from router.compose.errors import CompositionError
from router.compose.merged import Merged, MField, MType
from router.compose.subgraph import SField, SType, Subgraph
from router.planner.fieldset import CONDITION, FieldSetTree, parse_field_set, parse_typed_field_set

ROOTS = ("Query", "Mutation", "Subscription")


def graph_enum(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "_", name).upper() or "GRAPH"
    if base[0].isdigit():
        base = "_" + base
    out, n = base, 1
    while out in taken:
        n += 1
        out = f"{base}_{n}"
    taken.add(out)
    return out


def _named(t: str) -> str:
    return t.replace("[", "").replace("]", "").replace("!", "")


def _nullable(t: str) -> str:
    return t[:-1] if t.endswith("!") else t


def _more_general(a: str, b: str, types: dict[str, MType]) -> str | None:
    """The output type both `a` and `b` are subtypes of, when one of them is it; None when neither."""
    if a == b:
        return a
    a_nn, b_nn = a.endswith("!"), b.endswith("!")
    if a_nn or b_nn:
        inner = _more_general(_nullable(a), _nullable(b), types)
        return None if inner is None else inner + ("!" if a_nn and b_nn else "")
    if a.startswith("[") or b.startswith("["):
        if not (a.startswith("[") and b.startswith("[")):
            return None
        inner = _more_general(a[1:-1], b[1:-1], types)
        return None if inner is None else f"[{inner}]"
    for sup, sub in ((a, b), (b, a)):
        st, bt = types.get(sup), types.get(sub)
        if st is None or bt is None:
            continue
        if (st.kind == "union" and sub in st.members) or (st.kind == "interface" and sup in bt.interfaces):
            return sup
    return None


class Merger:
    def __init__(self, subgraphs: list[Subgraph]) -> None:
        taken: set[str] = set()
        self.graphs = {graph_enum(s.name, taken): s for s in sorted(subgraphs, key=lambda s: s.name)}
        self.problems: list[tuple[str, str]] = []

    def error(self, code: str, msg: str) -> None:
        self.problems.append((code, msg))

    def merge(self) -> Merged:
        types: dict[str, MType] = {}
        for g, sub in self.graphs.items():
            for t in sub.types.values():
                kind = "interface" if t.interface_object else t.kind
                mt = types.get(t.name)
                if mt is None:
                    mt = types[t.name] = MType(t.name, kind, t.description)
                elif mt.kind != kind:
                    first = next(iter(mt.graphs))
                    self.error(
                        "TYPE_KIND_MISMATCH",
                        f'Type "{t.name}" has mismatched kind: it is defined as {mt.kind} in subgraph '
                        f'"{self.graphs[first].name}" but {kind} in subgraph "{sub.name}".',
                    )
                    continue
                mt.graphs[g] = t
                mt.description = mt.description or t.description
                mt.inaccessible = mt.inaccessible or t.inaccessible
                mt.tags += [x for x in t.tags if x not in mt.tags]
                mt.applied += [x for x in t.applied if x not in mt.applied]
                mt.interfaces += [i for i in t.interfaces if i not in mt.interfaces]
                mt.members += [m for m in t.members if m not in mt.members]
        if "Query" not in types:
            self.error("NO_QUERIES", "No subgraph defines a Query type with fields.")
        else:
            # Every subgraph has a Query type (it serves _entities/_service), as other composers record.
            q = types["Query"]
            q.graphs = {g: q.graphs.get(g) or SType("Query", "object") for g in self.graphs}
        input_enums, output_enums = self.enum_usage(types)
        for mt in types.values():
            if mt.kind in ("object", "interface"):
                self.merge_output_fields(mt, types)
            elif mt.kind == "input":
                self.merge_input_fields(mt)
            elif mt.kind == "enum":
                self.merge_enum(mt, mt.name in input_enums, mt.name in output_enums)
        self.add_interface_object_fields(types)
        self.check_references(types)
        if not self.problems:
            self.problems += external_unused(self.graphs)
            self.problems += unreachable_fields(self.graphs, types)
            self.problems += interface_objects_without_entity(self.graphs, types)
            self.problems += inaccessible_misuse(types)
        if self.problems:
            raise CompositionError(self.problems)
        composed: dict[str, tuple[str, str | None]] = {}
        for sub in self.graphs.values():
            for n, spec in sub.composed.items():
                composed.setdefault(n, spec)
        return Merged(self.graphs, types, composed)

    def sub(self, g: str) -> str:
        return self.graphs[g].name

    def merge_output_fields(self, mt: MType, types: dict[str, MType]) -> None:
        key_fields: dict[str, set[str]] = {}
        for g, t in mt.graphs.items():
            for k, _ in t.keys:
                try:
                    names = set(parse_field_set(k))
                except Exception:
                    self.error(
                        "INVALID_FIELD_SET",
                        f'[{self.sub(g)}] @key(fields: "{k}") on "{mt.name}" does not parse.',
                    )
                    continue
                for n in names:
                    if n not in t.fields:
                        self.error(
                            "KEY_INVALID_FIELDS",
                            f'[{self.sub(g)}] @key(fields: "{k}") on type "{mt.name}" refers to field "{n}" '
                            f"that the type does not define.",
                        )
                    elif t.fields[n].args:
                        self.error(
                            "KEY_FIELDS_HAS_ARGS",
                            f'[{self.sub(g)}] On type "{mt.name}", for @key(fields: "{k}"): field '
                            f"{mt.name}.{n} cannot be included because it has arguments.",
                        )
                key_fields.setdefault(g, set()).update(names)
            for f in t.fields.values():
                mf = mt.fields.get(f.name)
                if mf is None:
                    mf = mt.fields[f.name] = MField(f.name, f.type, list(f.args), f.description)
                elif not f.external:
                    self.merge_field_type(mt, mf, f, g, types)
                mf.graphs[g] = f
                if f.override is not None and f.external:
                    self.error(
                        "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                        f'[{self.sub(g)}] @override cannot be used on field "{mt.name}.{f.name}" on subgraph '
                        f'"{self.sub(g)}" since it is marked with directive "@external".',
                    )
                if f.override is not None and f.override == self.graphs[g].name:
                    self.error(
                        "OVERRIDE_FROM_SELF_ERROR",
                        f'[{self.sub(g)}] Source and destination subgraphs "{self.sub(g)}" are the same for '
                        f'overridden field "{mt.name}.{f.name}".',
                    )
                mf.inaccessible = mf.inaccessible or f.inaccessible
                mf.tags += [x for x in f.tags if x not in mf.tags]
                mf.applied += [x for x in f.applied if x not in mf.applied]
                mf.deprecated = mf.deprecated or f.deprecated
                for fs, what in ((f.requires, "@requires"), (f.provides, "@provides")):
                    if fs is None:
                        continue
                    target = t if what == "@requires" else types.get(_named(f.type))
                    if what == "@provides" and not (
                        isinstance(target, MType) and target.kind in ("object", "interface", "union")
                    ):
                        self.error(
                            "PROVIDES_ON_NON_OBJECT_FIELD",
                            f'[{self.sub(g)}] Invalid @provides directive on field "{mt.name}.{f.name}": '
                            f'field has type "{f.type}" which is not a Composite Type',
                        )
                        continue
                    self.check_field_set(
                        g, mt.name, f.name, fs, what, target.graphs.get(g) if isinstance(target, MType) else t
                    )
        for mf in mt.fields.values():
            # The description comes from a definition that resolves the field (not an @external or
            # overridden copy), as other composers do.
            overridden = {self.graph_by_name(f.override) for f in mf.graphs.values() if f.override}
            ranked = sorted(
                ((g, f) for g, f in mf.graphs.items() if g not in overridden), key=lambda gf: gf[1].external
            )
            mf.description = next((f.description for _, f in ranked if f.description), None)
            self.check_sharing(mt, mf, key_fields)
            self.merge_args(mt, mf)

    def add_interface_object_fields(self, types: dict[str, MType]) -> None:
        """Fields an @interfaceObject adds to an interface also appear on every implementation, with a
        bare @join__field: no subgraph resolves them for the concrete type, the planner goes through the
        interface object."""
        for iface in types.values():
            if iface.kind != "interface" or not any(t.interface_object for t in iface.graphs.values()):
                continue
            for impl in types.values():
                if impl.kind not in ("object", "interface") or iface.name not in impl.interfaces:
                    continue
                for name, f in iface.fields.items():
                    if name not in impl.fields:
                        impl.fields[name] = MField(name, f.type, list(f.args), f.description, graphs={})

    def check_field_set(
        self, g: str, tname: str, fname: str, fs: str, what: str, target: SType | None
    ) -> None:
        try:
            tree = parse_typed_field_set(fs)
        except Exception:
            self.error(
                "INVALID_FIELD_SET",
                f'[{self.sub(g)}] {what}(fields: "{fs}") on "{tname}.{fname}" does not parse.',
            )
            return
        self.check_field_set_fields(g, tname, fname, fs, what, target, tree)

    def check_field_set_fields(
        self, g: str, tname: str, fname: str, fs: str, what: str, target: SType | None, tree: FieldSetTree
    ) -> None:
        if target is None:
            return
        for n, sub in tree.items():
            if n.startswith(CONDITION):
                # `... on T { f }`: T's fields, as this subgraph defines T.
                cond = self.graphs[g].types.get(n[len(CONDITION) :])
                if cond is None:
                    self.error(
                        "REQUIRES_INVALID_FIELDS" if what == "@requires" else "PROVIDES_INVALID_FIELDS",
                        f'[{self.sub(g)}] {what}(fields: "{fs}") on field "{tname}.{fname}" has a type '
                        f'condition on "{n[len(CONDITION) :]}", which subgraph "{self.sub(g)}" does not '
                        "define.",
                    )
                else:
                    self.check_field_set_fields(g, tname, fname, fs, what, cond, sub or {})
                continue
            if n != "__typename" and n not in target.fields:
                self.error(
                    "REQUIRES_INVALID_FIELDS" if what == "@requires" else "PROVIDES_INVALID_FIELDS",
                    f'[{self.sub(g)}] {what}(fields: "{fs}") on field "{tname}.{fname}" refers to field '
                    f'"{target.name}.{n}" that subgraph "{self.sub(g)}" does not define.',
                )
            elif not target.fields[n].external and what == "@provides":
                self.error(
                    "PROVIDES_FIELDS_MISSING_EXTERNAL",
                    f'[{self.sub(g)}] On field "{tname}.{fname}", for @provides(fields: "{fs}"): field '
                    f'"{target.name}.{n}" should not be part of a @provides since it is '
                    f"already provided by this subgraph (it is not marked @external)",
                )
            elif not target.fields[n].external and what == "@requires":
                self.error(
                    "REQUIRES_FIELDS_MISSING_EXTERNAL",
                    f'[{self.sub(g)}] On field "{tname}.{fname}", for @requires(fields: "{fs}"): field '
                    f'"{target.name}.{n}" should not be part of a @requires since it is '
                    f"already provided by this subgraph (it is not marked @external)",
                )

    def merge_field_type(self, mt: MType, mf: MField, f: SField, g: str, types: dict[str, MType]) -> None:
        if mf.type == f.type:
            return
        # Output positions merge to the more general type: nullable over non-null, a union or interface over
        # its member or implementation (each subgraph's type stays a subtype of the supergraph's).
        general = _more_general(mf.type, f.type, types)
        if general is None:
            first = next(iter(mf.graphs))
            self.error(
                "FIELD_TYPE_MISMATCH",
                f'Type of field "{mt.name}.{mf.name}" is incompatible across subgraphs: it has type '
                f'"{mf.type}" in subgraph "{self.sub(first)}" but type "{f.type}" in subgraph '
                f'"{self.sub(g)}".',
            )
            return
        mf.type = general

    def check_sharing(self, mt: MType, mf: MField, key_fields: dict[str, set[str]]) -> None:
        overridden = {self.graph_by_name(f.override) for f in mf.graphs.values() if f.override}
        resolving = [g for g, f in mf.graphs.items() if not f.external and g not in overridden]
        if not any(not f.external for f in mf.graphs.values()):
            g = next(iter(mf.graphs))
            self.error(
                "EXTERNAL_MISSING_ON_BASE",
                f'Field "{mt.name}.{mf.name}" is marked @external on all the subgraphs in which it is listed '
                f'(subgraph "{self.sub(g)}").',
            )
            return
        if len(resolving) < 2 or mt.kind != "object":
            return
        non_shareable = [
            g for g in resolving if not mf.graphs[g].shareable and mf.name not in key_fields.get(g, set())
        ]
        if non_shareable:
            subs = " and ".join(f'"{self.sub(g)}"' for g in resolving)
            bad = " and ".join(f'"{self.sub(g)}"' for g in non_shareable)
            self.error(
                "INVALID_FIELD_SHARING",
                f'Non-shareable field "{mt.name}.{mf.name}" is resolved from multiple subgraphs: it is '
                f"resolved from subgraphs {subs} and defined as non-shareable in subgraph {bad}.",
            )

    def graph_by_name(self, name: str | None) -> str | None:
        for g, s in self.graphs.items():
            if s.name == name:
                return g
        return None

    def merge_args(self, mt: MType, mf: MField) -> None:
        defs = [f for f in mf.graphs.values() if not f.external]
        if len(defs) < 2:
            if defs:
                mf.args = list(defs[0].args)
            return
        common = [a for a in defs[0].args if all(any(b.name == a.name for b in d.args) for d in defs)]
        for a in common:
            defaults = [
                (b.default, g)
                for g, d in sorted(mf.graphs.items(), key=lambda gd: self.sub(gd[0]))
                if d in defs
                for b in d.args
                if b.name == a.name and b.default is not None
            ]
            if len({v for v, _ in defaults}) > 1:
                v1, g1 = defaults[0]
                v2, g2 = next((v, g) for v, g in defaults if v != v1)
                self.error(
                    "FIELD_ARGUMENT_DEFAULT_MISMATCH",
                    f'Argument "{mt.name}.{mf.name}({a.name}:)" has incompatible default values across '
                    f'subgraphs: it has default value {v1} in subgraph "{self.sub(g1)}" but default value '
                    f'{v2} in subgraph "{self.sub(g2)}"',
                )
        for d in defs:
            for a in d.args:
                if a.type.endswith("!") and a.default is None and all(c.name != a.name for c in common):
                    self.error(
                        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                        f'Argument "{mt.name}.{mf.name}({a.name}:)" is required in some subgraphs but does '
                        f"not appear in all subgraphs defining the field.",
                    )
        mf.args = common

    def merge_input_fields(self, mt: MType) -> None:
        graphs = list(mt.graphs.items())
        names = [n for n in graphs[0][1].fields if all(n in t.fields for _, t in graphs)]
        if not names:
            self.error(
                "EMPTY_MERGED_INPUT_TYPE",
                f'None of the fields of input object type "{mt.name}" are consistently defined in all the '
                f"subgraphs defining that type. As only fields common to all subgraphs are merged, this "
                f"would result in an empty type.",
            )
        for g, t in graphs:
            for f in t.fields.values():
                if f.name not in names and f.type.endswith("!") and f.default is None:
                    self.error(
                        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                        f'Input object field "{mt.name}.{f.name}" is required in some subgraphs (e.g. '
                        f'"{self.sub(g)}") but does not appear in all subgraphs defining "{mt.name}".',
                    )
        for n in names:
            f0 = graphs[0][1].fields[n]
            mf = MField(n, f0.type, [], f0.description, default=f0.default)
            for g, t in graphs:
                f = t.fields[n]
                if _named(f.type) != _named(f0.type) or _nullable(f.type).count("[") != _nullable(
                    f0.type
                ).count("["):
                    self.error(
                        "FIELD_TYPE_MISMATCH",
                        f'Type of field "{mt.name}.{n}" is incompatible across subgraphs: it has type '
                        f'"{f0.type}" in subgraph "{self.sub(graphs[0][0])}" but type "{f.type}" in '
                        f'subgraph "{self.sub(g)}"',
                    )
                mf.graphs[g] = f
                mf.inaccessible = mf.inaccessible or f.inaccessible
                mf.deprecated = mf.deprecated or f.deprecated
                mf.tags += [x for x in f.tags if x not in mf.tags]
                # Input positions merge to the most strict type.
                if f.type.endswith("!") and not mf.type.endswith("!"):
                    mf.type = f.type
            mt.fields[n] = mf

    def merge_enum(self, mt: MType, as_input: bool, as_output: bool) -> None:
        sets = [list(t.values) for t in mt.graphs.values()]
        if as_input and as_output and any(set(s) != set(sets[0]) for s in sets):
            self.error(
                "ENUM_VALUE_MISMATCH",
                f'Enum type "{mt.name}" is used as both input and output type, but its values differ between '
                f"subgraphs " + ", ".join(f'"{self.sub(g)}"' for g in mt.graphs) + ".",
            )
        order: list[str] = []
        for s in sets:
            order += [v for v in s if v not in order]
        if as_input and not as_output:
            order = [v for v in order if all(v in s for s in sets)]
            if not order:
                self.error(
                    "EMPTY_MERGED_ENUM_TYPE",
                    f'None of the values of enum type "{mt.name}" are defined consistently in all the '
                    f"subgraphs defining that type. As only values common to all subgraphs are merged, this "
                    f"would result in an empty type.",
                )
        for v in order:
            mv = MField(v, "", [], None)
            for g, t in mt.graphs.items():
                ev = t.values.get(v)
                if ev is not None:
                    mv.graphs[g] = ev
                    mv.description = mv.description or ev.description
                    mv.inaccessible = mv.inaccessible or ev.inaccessible
                    mv.tags += [x for x in ev.tags if x not in mv.tags]
                    mv.deprecated = mv.deprecated or ev.deprecated
            mt.values[v] = mv

    def enum_usage(self, types: dict[str, MType]) -> tuple[set[str], set[str]]:
        inputs: set[str] = set()
        outputs: set[str] = set()
        for mt in types.values():
            for t in mt.graphs.values():
                for f in t.fields.values():
                    (inputs if mt.kind == "input" else outputs).add(_named(f.type))
                    for a in f.args:
                        inputs.add(_named(a.type))
        return inputs, outputs

    def check_references(self, types: dict[str, MType]) -> None:
        builtin = {"String", "Int", "Float", "Boolean", "ID"}
        for sub in self.graphs.values():
            for t in sub.types.values():
                for f in t.fields.values():
                    n = _named(f.type)
                    if n not in builtin and n not in types:
                        self.error(
                            "UNKNOWN_TYPE",
                            f'[{sub.name}] Field "{t.name}.{f.name}" has unknown type "{n}".',
                        )
