"""Selection sets being built for subgraph operations, and their compact rendering."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SelField:
    name: str
    alias: str | None
    args: str
    sub: SelectionSet | None = None


@dataclass
class SelectionSet:
    fields: dict[str, SelField] = field(default_factory=dict)
    fragments: dict[str, SelectionSet] = field(default_factory=dict)

    def add(self, key: str, name: str, args: str = "", composite: bool = False) -> SelField:
        f = self.fields.get(key)
        if f is None:
            f = self.fields[key] = SelField(name, key if key != name else None, args)
        if composite and f.sub is None:
            f.sub = SelectionSet()
        return f

    def fragment(self, type_name: str) -> SelectionSet:
        s = self.fragments.get(type_name)
        if s is None:
            s = self.fragments[type_name] = SelectionSet()
        return s

    def render(self) -> str:
        parts: list[str] = []
        for key, f in self.fields.items():
            head = f"{key}:{f.name}" if f.alias else f.name
            text = head + f.args
            if f.sub is not None:
                # A composite field whose selection is empty here (only `__typename` asked, or no member of
                # an abstract type lives in this subgraph) still needs a selection set to be valid GraphQL.
                text += f.sub.render() if not f.sub.is_empty() else "{__typename}"
            parts.append(text)
        for t, s in self.fragments.items():
            if not s.is_empty():
                parts.append(f"...on {t}{s.render()}")
        return "{" + " ".join(parts) + "}"

    def merge(self, other: SelectionSet) -> None:
        for key, f in other.fields.items():
            mine = self.add(key, f.name, f.args, f.sub is not None)
            if f.sub is not None and mine.sub is not None:
                mine.sub.merge(f.sub)
        for t, s in other.fragments.items():
            self.fragment(t).merge(s)

    def is_empty(self) -> bool:
        return not self.fields and not any(not s.is_empty() for s in self.fragments.values())
