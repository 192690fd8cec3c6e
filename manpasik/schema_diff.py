"""Schema changes for people: every difference between two API schemas, classified breaking / dangerous /
safe, and for each breaking change the app's operations it would break.

graphql-core's `find_schema_changes` finds and names the changes (`TYPE: description`, the line format of
`schema/allowed-breaks.txt`). One classification is ours: graphql-core calls an added *optional* argument or
input field dangerous; an operation the app already sends never passes it, so nothing it does changes, and we
list it as safe.

An operation is broken by a change when it uses what the change touches (a type, `Type.field`,
`Type.field(arg:)`, `Enum.VALUE`, `Input.field`, `@directive`), reading the operation against the old schema,
including everything its variables' input types could carry; and the operation's validation errors against
the new schema are shown with it. An operation that stops validating with no change attributed is reported
too, so no break goes unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from graphql import (
    ArgumentNode,
    BreakingChangeType,
    DangerousChangeType,
    DirectiveNode,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    ObjectFieldNode,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    find_schema_changes,
    get_named_type,
    parse,
    validate,
    visit,
)

SAFE_ALTHOUGH_CALLED_DANGEROUS = {
    DangerousChangeType.OPTIONAL_ARG_ADDED,
    DangerousChangeType.OPTIONAL_INPUT_FIELD_ADDED,
}
# The schema coordinate a change is about: `Type`, `Type.field`, `Type.field(arg:)`, `@dir`, `@dir(arg:)`.
_NAME = r"[_A-Za-z][_0-9A-Za-z]*"
COORDINATE = re.compile(rf"@?{_NAME}(?:\.{_NAME})?(?:\({_NAME}:\))?")
LEADING_WORDS = ("Field ", "Argument ", "Enum value ", "Directive ", "Standard scalar ")
ADDED_REQUIRED = {BreakingChangeType.REQUIRED_ARG_ADDED, BreakingChangeType.REQUIRED_INPUT_FIELD_ADDED}
REQUIRED_PREFIX = re.compile(r"^A required (?:field|argument) ")


@dataclass(frozen=True)
class Change:
    kind: str  # graphql-core's change type name, e.g. FIELD_REMOVED
    description: str

    @property
    def line(self) -> str:
        """As `make schema` prints it and `schema/allowed-breaks.txt` lists it."""
        return f"{self.kind}: {self.description}"


@dataclass
class Broken:
    operation: str  # "<file>: <name>"
    errors: list[str]  # its validation errors against the new schema (none: it validates, but means else)


@dataclass
class SchemaDiff:
    breaking: list[Change] = field(default_factory=list)
    dangerous: list[Change] = field(default_factory=list)
    safe: list[Change] = field(default_factory=list)
    broken_by: dict[Change, list[Broken]] = field(default_factory=dict)
    unattributed: list[Broken] = field(default_factory=list)  # stopped validating; no change names its cause


def classify(old: GraphQLSchema, new: GraphQLSchema) -> tuple[list[Change], list[Change], list[Change]]:
    """(breaking, dangerous, safe), each in graphql-core's order."""
    breaking: list[Change] = []
    dangerous: list[Change] = []
    safe: list[Change] = []
    for c in find_schema_changes(old, new):
        change = Change(c.type.name, c.description)
        if isinstance(c.type, BreakingChangeType):
            breaking.append(change)
        elif isinstance(c.type, DangerousChangeType) and c.type not in SAFE_ALTHOUGH_CALLED_DANGEROUS:
            dangerous.append(change)
        else:
            safe.append(change)
    return breaking, dangerous, safe


def diff_schemas(old: GraphQLSchema, new: GraphQLSchema, operations: Mapping[str, str]) -> SchemaDiff:
    """`operations`: label (e.g. the file name) -> document text, each holding named operations."""
    breaking, dangerous, safe = classify(old, new)
    diff = SchemaDiff(breaking, dangerous, safe, {c: [] for c in breaking})
    touched = {c: change_coordinate(c, old) for c in breaking}
    for name, doc in split_operations(operations).items():
        if validate(old, doc):  # already invalid before the change: nothing of this diff broke it
            continue
        uses = used_coordinates(old, doc)
        errors = [e.message for e in validate(new, doc)]
        hit = False
        for change, coordinate in touched.items():
            if coordinate is not None and coordinate in uses:
                diff.broken_by[change].append(Broken(name, errors))
                hit = True
        if errors and not hit:
            diff.unattributed.append(Broken(name, errors))
    return diff


def change_coordinate(change: Change, schema: GraphQLSchema) -> str | None:
    """The first schema coordinate of the old schema that the change's description names."""
    text = change.description
    if change.kind in {t.name for t in ADDED_REQUIRED}:
        # "A required argument T.f(a:) was added." -> T.f; "A required field I.f was added." -> I
        m = COORDINATE.match(REQUIRED_PREFIX.sub("", text))
        if m is None:
            return None
        new_part = m.group(0)
        return new_part.split("(")[0] if "(" in new_part else new_part.split(".")[0]
    for prefix in LEADING_WORDS:
        text = text.removeprefix(prefix)
    for m in COORDINATE.finditer(text):
        if _exists(schema, m.group(0)):
            return m.group(0)
    return None


def _exists(schema: GraphQLSchema, coordinate: str) -> bool:
    if coordinate.startswith("@"):
        return schema.get_directive(coordinate[1:].split("(")[0]) is not None
    type_name, _, member = coordinate.partition(".")
    named = schema.get_type(type_name)
    if named is None:
        return False
    if not member:
        return True
    member = member.split("(")[0]
    if isinstance(named, GraphQLEnumType):
        return member in named.values
    fields = getattr(named, "fields", None)
    return isinstance(fields, dict) and member in fields


def split_operations(sources: Mapping[str, str]) -> dict[str, DocumentNode]:
    """'<label>: <operation name>' -> a document of that operation and the fragments it may spread."""
    out: dict[str, DocumentNode] = {}
    for label, text in sources.items():
        definitions = parse(text).definitions
        fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
        for d in definitions:
            if isinstance(d, OperationDefinitionNode):
                name = d.name.value if d.name else "(anonymous)"
                out[f"{label}: {name}"] = DocumentNode(definitions=(d, *_spread(d, fragments)))
    return out


def _spread(
    node: OperationDefinitionNode | FragmentDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    """The fragments `node` spreads, directly or through other fragments (each once)."""
    found: dict[str, FragmentDefinitionNode] = {}
    todo: list[OperationDefinitionNode | FragmentDefinitionNode] = [node]

    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            name = spread.name.value
            if name in fragments and name not in found:
                found[name] = fragments[name]
                todo.append(fragments[name])

    while todo:
        visit(todo.pop(), Spreads())
    return list(found.values())


def used_coordinates(schema: GraphQLSchema, doc: DocumentNode) -> set[str]:
    """Every schema coordinate the operation uses, read against `schema`."""
    info = TypeInfo(schema)
    used: set[str] = set()
    variable_types: list[GraphQLInputType] = []

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            parent, definition = info.get_parent_type(), info.get_field_def()
            if parent is not None and definition is not None:
                coordinate = f"{parent.name}.{node.name.value}"
                used.update((parent.name, coordinate, get_named_type(definition.type).name))
                used.update(f"{coordinate}({arg.name.value}:)" for arg in node.arguments or ())

        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            directive = info.get_directive()
            if directive is not None:
                used.add(f"@{directive.name}({node.name.value}:)")
            arg_type = info.get_input_type()
            if arg_type is not None:
                used.add(get_named_type(arg_type).name)

        def enter_directive(self, node: DirectiveNode, *_: object) -> None:
            used.add(f"@{node.name.value}")

        def enter_object_field(self, node: ObjectFieldNode, *_: object) -> None:
            parent = get_named_type(info.get_parent_input_type())
            if parent is not None:
                used.add(f"{parent.name}.{node.name.value}")

        def enter_enum_value(self, node: EnumValueNode, *_: object) -> None:
            enum = get_named_type(info.get_input_type())
            if enum is not None:
                used.add(f"{enum.name}.{node.value}")

        def enter_named_type(self, node: NamedTypeNode, *_: object) -> None:
            named = schema.get_type(node.name.value)
            if named is not None:
                used.add(named.name)

        def enter_inline_fragment(self, node: InlineFragmentNode, *_: object) -> None:
            if node.type_condition is not None:
                used.add(node.type_condition.name.value)

        def enter_variable_definition(self, *_: object) -> None:
            t = info.get_input_type()
            if t is not None:
                variable_types.append(t)

    visit(doc, TypeInfoVisitor(info, Collect()))
    for t in variable_types:
        used.update(_reachable_inputs(get_named_type(t)))
    return used


def _reachable_inputs(named: object, seen: set[str] | None = None) -> Iterable[str]:
    """What a variable of this input type may carry: its input types, their fields, their enums' values."""
    seen = set() if seen is None else seen
    name = getattr(named, "name", None)
    if name is None or name in seen:
        return seen
    seen.add(name)
    if isinstance(named, GraphQLEnumType):
        seen.update(f"{name}.{v}" for v in named.values)
    elif isinstance(named, GraphQLInputObjectType):
        for field_name, input_field in named.fields.items():
            seen.add(f"{name}.{field_name}")
            _reachable_inputs(get_named_type(input_field.type), seen)
    return seen


def render(diff: SchemaDiff, allowed: set[str], allowed_name: str) -> list[str]:
    """The report, one line each: the three classes, each break's operations, and what the list allows."""
    lines = [f"breaking ({len(diff.breaking)}):"]
    for c in diff.breaking:
        lines.append(f"  {c.line}" + (f"   [listed in {allowed_name}]" if c.line in allowed else ""))
        for b in diff.broken_by.get(c, []):
            lines.append(f"    breaks {b.operation}" + (f": {b.errors[0]}" if b.errors else ""))
    for title, changes in (("dangerous", diff.dangerous), ("safe", diff.safe)):
        lines.append(f"{title} ({len(changes)}):")
        lines.extend(f"  {c.line}" for c in changes)
    if diff.unattributed:
        lines.append(f"operations that stop validating, no change named ({len(diff.unattributed)}):")
        lines.extend(f"  {b.operation}: {b.errors[0]}" for b in diff.unattributed)
    stale = sorted(allowed - {c.line for c in diff.breaking})
    if stale:
        lines.append(f"listed in {allowed_name} but not in this diff (clear them once shipped):")
        lines.extend(f"  {line}" for line in stale)
    return lines


def unlisted(diff: SchemaDiff, allowed: set[str]) -> list[Change]:
    return [c for c in diff.breaking if c.line not in allowed]
